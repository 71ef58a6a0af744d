package dev.tiergate.core.gateway;

import dev.tiergate.core.gateway.chat.ChatCompletions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingModelState;
import dev.tiergate.core.routing.TierRouter;

import java.util.Map;

/**
 * {@code POST /route}: the routing decision for {@code {"prompt": ...}} or {@code {"messages": [...]}} without
 * dispatching anything, so a team can see where its prompts would go and why.
 */
public final class RouteApi {

    private final TierRouter router;
    private final ChatCompletions chat;
    private final ObjectMapper json;
    private final Responses responses;

    public RouteApi(TierRouter router, ChatCompletions chat, ObjectMapper json) {
        this.router = router;
        this.chat = chat;
        this.json = json;
        this.responses = new Responses(json);
    }

    public ApiResponse route(ApiKey caller, ApiRequest request, String requestId) {
        JsonNode body = dev.tiergate.core.protocol.JsonBody.parse(request.body()).orElse(null);
        if (!(body instanceof ObjectNode in)) throw OpenAiError.invalidRequest("The request body must be a JSON object with 'prompt' or 'messages'.", null).failure();
        ObjectNode asChat = in.deepCopy();
        if (in.has("prompt")) {
            if (in.has("messages")) throw OpenAiError.invalidRequest("Send 'prompt' or 'messages', not both.", "prompt").failure();
            JsonNode p = in.get("prompt");
            if (!p.isTextual() || p.asText().isBlank()) throw OpenAiError.invalidRequest("'prompt' must be a non-empty string.", "prompt").failure();
            asChat.remove("prompt");
            asChat.putArray("messages").addObject().put("role", "user").put("content", p.asText());
        } else if (!in.has("messages")) {
            throw OpenAiError.invalidRequest("Send 'prompt' (a string) or 'messages' (a chat message array).", "prompt").failure();
        }
        if (!asChat.hasNonNull("model")) asChat.put("model", TierRouter.AUTO);
        ChatRequest c = ChatRequest.from(asChat);
        RouteDecision d = router.route(chat.routingRequests().of(caller, c, request::header));
        return responses.json(200, describe(d), Map.of(Responses.REQUEST_ID, requestId));
    }

    /** Whether the router's embedding model scores yet. */
    public RoutingModelState modelState() {
        return router.classifier().modelState();
    }

    ObjectNode describe(RouteDecision d) {
        ObjectNode o = json.createObjectNode();
        d.classification().ifPresentOrElse(c -> {
            o.put("complexity_class", c.complexity().wire());
            o.put("complexity_score", c.score());
            o.put("confidence", c.confidence());
            o.put("scorer", c.scorer().wire());
        }, () -> {
            o.putNull("complexity_class");
            o.putNull("complexity_score");
            o.putNull("confidence");
        });
        o.put("tier", d.tier().name());
        o.put("model", d.model());
        ArrayNode reasons = o.putArray("reasons");
        d.reasons().forEach(reasons::add);
        o.put("router_latency_ms", d.micros() / 1000.0);
        d.shadowOf().ifPresent(t -> o.put("shadow_of", t.name()));
        return o;
    }
}
