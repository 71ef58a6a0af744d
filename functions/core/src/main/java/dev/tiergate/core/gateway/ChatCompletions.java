package dev.tiergate.core.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Authenticator;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.dispatch.ReplicaPicker;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.budget.BudgetDecision;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.ports.IdempotencyStore;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.TokenCounter;
import dev.tiergate.core.usage.UsageRecord;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}: authenticate, validate, route, dispatch with a deadline, record usage, answer.
 * A streamed answer passes each upstream event through as it arrives; the upstream is always asked for its usage so
 * that the cost is recorded even when the client did not ask for the usage chunk.
 */
public final class ChatCompletions {

    private static final System.Logger LOG = System.getLogger(ChatCompletions.class.getName());
    private static final String CONTEXT_PREFIX = "This model's maximum context length is";

    private final Authenticator auth;
    private final TierRouter router;
    private final ReplicaPicker replicas;
    private final Upstream upstream;
    private final BudgetGuard guard;
    private final TokenCounter tokens;
    private final GatewaySettings settings;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;
    private final java.util.function.Function<String, java.util.List<String>> teamAllowed;
    private final IdempotencyStore idempotency;

    /**
     * @param teamAllowed the tiers a team may use (empty: all)
     */
    public ChatCompletions(Authenticator auth, TierRouter router, ReplicaPicker replicas, Upstream upstream,
                           BudgetGuard guard, TokenCounter tokens, GatewaySettings settings, Clock clock, ObjectMapper json,
                           java.util.function.Function<String, java.util.List<String>> teamAllowed, IdempotencyStore idempotency) {
        this.teamAllowed = teamAllowed;
        this.idempotency = idempotency;
        this.auth = auth;
        this.router = router;
        this.replicas = replicas;
        this.upstream = upstream;
        this.guard = guard;
        this.tokens = tokens;
        this.settings = settings;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
    }

    /** Everything known about one request once it is routed and its money held; what its usage record is built from. */
    private static final class Dispatch {
        final String requestId;
        final ApiKey caller;
        final ChatRequest chat;
        final RouteDecision route;
        final Instant start;
        final Reservation reservation;
        final Optional<String> downgradedFrom;
        /** Set once the usage record is written (settled or released), so a request is never recorded twice. */
        volatile boolean recorded;

        Dispatch(String requestId, ApiKey caller, ChatRequest chat, RouteDecision route, Instant start, Reservation reservation,
                 Optional<String> downgradedFrom) {
            this.requestId = requestId;
            this.caller = caller;
            this.chat = chat;
            this.route = route;
            this.start = start;
            this.reservation = reservation;
            this.downgradedFrom = downgradedFrom;
        }

        TierConfig tier() {
            return route.tier();
        }

        String requestId() { return requestId; }
        ApiKey caller() { return caller; }
        ChatRequest chat() { return chat; }
        RouteDecision route() { return route; }
        Instant start() { return start; }
    }

    public ApiResponse handle(ApiRequest request, String requestId) {
        ApiKey caller = auth.authenticate(request);
        ChatRequest chat = ChatRequest.from(parse(request.body()));
        Optional<String> idem = request.header("Idempotency-Key").map(String::trim);
        if (idem.isEmpty()) return dispatch(caller, chat, request, requestId, Optional.empty());
        String k = idem.get();
        if (k.isEmpty() || k.length() > 255 || !k.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw OpenAiError.invalidRequest("The Idempotency-Key header must be 1 to 255 visible ASCII characters.", "Idempotency-Key").failure();
        }
        String hash = dev.tiergate.core.auth.KeySecrets.hash(new String(request.body(), java.nio.charset.StandardCharsets.UTF_8));
        return switch (idempotency.begin(caller.id(), k, hash, clock.instant().plus(Duration.ofHours(24)))) {
            case IdempotencyStore.Replay r -> responses.raw(r.status(), r.body(), Map.of(Responses.REQUEST_ID, requestId,
                    "x-tiergate-idempotent-replay", "true", "content-type", r.contentType()));
            case IdempotencyStore.InProgress p -> throw new OpenAiError(409, "invalid_request_error", "A request with this "
                    + "Idempotency-Key is still in progress; retry when it has finished.", Optional.of("Idempotency-Key"),
                    Optional.of("idempotency_in_progress")).failure();
            case IdempotencyStore.Mismatch m -> throw new OpenAiError(422, "invalid_request_error", "This Idempotency-Key "
                    + "was used for a different request body.", Optional.of("Idempotency-Key"), Optional.of("idempotency_key_reused")).failure();
            case IdempotencyStore.Started s -> {
                try {
                    yield remembered(caller, k, dispatch(caller, chat, request, requestId, Optional.of(k)));
                } catch (RuntimeException e) {
                    idempotency.abandon(caller.id(), k);
                    throw e;
                }
            }
        };
    }

    /** Stores a whole answer for replay; a streamed one is stored by its pump when it ends well. */
    private ApiResponse remembered(ApiKey caller, String key, ApiResponse response) {
        if (response instanceof ApiResponse.Whole w) {
            if (w.status() == 200) idempotency.complete(caller.id(), key, 200, "application/json", w.body());
            else idempotency.abandon(caller.id(), key);
        }
        return response;
    }

    private ApiResponse dispatch(ApiKey caller, ChatRequest chat, ApiRequest request, String requestId, Optional<String> idemKey) {
        RoutingRequest rr = routingRequest(caller, chat, request);
        RouteDecision routed = router.route(rr);
        Instant start = clock.instant();
        Instant deadline = start.plusMillis(settings.requestTimeoutMs());
        Dispatch d = switch (guard.decide(caller, rr, routed, requestId, deadline)) {
            case BudgetDecision.Reject r -> throw r.error().failure();
            case BudgetDecision.Allow a -> new Dispatch(requestId, caller, chat, a.route(), start, a.reservation(), Optional.empty());
            case BudgetDecision.Downgrade g -> new Dispatch(requestId, caller, chat, g.route(), start, g.reservation(), Optional.of(g.fromTier()));
        };
        try {
            URI url = replicas.pick(d.tier().name()).resolve("/v1/chat/completions");
            byte[] body = upstreamBody(chat, d.route().model(), guard.outputTokens(rr, d.tier()));
            return chat.stream() ? stream(d, url, body, deadline, idemKey) : whole(d, url, body, deadline);
        } catch (OpenAiError.Failure f) {
            if (!d.recorded) record(d, TokenUsage.NONE, f.error().status(), "rejected", "upstream");
            throw f;
        } catch (RuntimeException e) {
            if (!d.recorded) record(d, TokenUsage.NONE, 500, "gateway_error", "upstream");
            throw e;
        }
    }

    private JsonNode parse(byte[] body) {
        if (body.length == 0) throw OpenAiError.invalidRequest("The request body is empty; send a JSON object.", null).failure();
        try {
            JsonNode node = json.readTree(body);
            if (node == null) throw OpenAiError.invalidJson("no JSON value").failure();
            return node;
        } catch (JsonProcessingException e) {
            throw OpenAiError.invalidJson(e.getOriginalMessage()).failure();
        } catch (IOException e) {
            throw OpenAiError.invalidJson(e.getMessage()).failure();
        }
    }

    /** What the router needs: the latest user turn to classify, the whole prompt's tokens, the caller's limits. */
    RoutingRequest routingRequest(ApiKey caller, ChatRequest chat, ApiRequest request) {
        RouteConstraints constraints = RouteConstraints.from(chat.body(), request);
        // The chat template adds a few tokens per message around the text itself.
        int promptTokens = tokens.count(chat.promptText()) + 4 * chat.messageCount();
        return new RoutingRequest(chat.model(), chat.lastUserText(), promptTokens, chat.maxTokens(), constraints,
                caller.allowedTiers(), teamAllowed.apply(caller.team()), caller.team(), caller.user(), Optional.empty());
    }

    /** The body the upstream gets: the tier's model, no tiergate fields, and the output bound the budget reserved. */
    private byte[] upstreamBody(ChatRequest chat, String model, int outputTokens) {
        ObjectNode body = chat.body().deepCopy();
        body.remove(RouteConstraints.BODY_FIELD);
        body.put("model", model);
        if (chat.maxTokens().isEmpty()) body.put("max_tokens", outputTokens);
        if (chat.stream()) {
            JsonNode so = body.get("stream_options");
            ObjectNode options = so instanceof ObjectNode o ? o : body.putObject("stream_options");
            options.put("include_usage", true);
        }
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private ApiResponse whole(Dispatch d, URI url, byte[] body, Instant deadline) {
        Upstream.Reply reply;
        try {
            reply = upstream.send(url, body, deadline);
        } catch (Upstream.UpstreamException e) {
            throw unreachable(d, e);
        }
        if (reply.status() != 200) throw rejected(d, reply.status(), reply.body());
        JsonNode answer;
        try {
            answer = json.readTree(reply.body());
        } catch (IOException e) {
            record(d, TokenUsage.NONE, 502, "upstream_error", "upstream");
            throw OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' sent an answer that is not valid JSON.").failure();
        }
        JsonNode usage = answer == null ? null : answer.get("usage");
        TokenUsage used;
        String source = "upstream";
        if (usage != null && usage.isObject()) {
            used = usage(usage);
        } else {
            source = "estimated";
            used = new TokenUsage(tokens.count(d.chat().promptText()), tokens.count(answer == null ? "" : answer.at("/choices/0/message/content").asText("")), 0);
        }
        Usd cost = record(d, used, 200, "ok", source);
        Map<String, String> headers = headers(d);
        headers.put(Responses.COST, cost.plain());
        return responses.raw(200, reply.body(), headers);
    }

    private ApiResponse stream(Dispatch d, URI url, byte[] body, Instant deadline, Optional<String> idemKey) {
        Upstream.Stream s;
        try {
            s = upstream.openStream(url, body, deadline);
        } catch (Upstream.UpstreamException e) {
            throw unreachable(d, e);
        }
        if (s.status() != 200) {
            byte[] err = s.errorBody();
            s.close();
            throw rejected(d, s.status(), err);
        }
        Map<String, String> headers = headers(d);
        headers.put("content-type", "text/event-stream; charset=utf-8");
        headers.put("cache-control", "no-cache");
        if (idemKey.isEmpty()) return new ApiResponse.EventStream(200, headers, sink -> pump(d, s, sink));
        return new ApiResponse.EventStream(200, headers, sink -> {
            StringBuilder sse = new StringBuilder();
            ApiResponse.EventSink both = new ApiResponse.EventSink() {
                @Override
                public void data(String data) throws IOException {
                    sse.append("data: ").append(data).append("\n\n");
                    sink.data(data);
                }

                @Override
                public void comment(String text) throws IOException {
                    sse.append(": ").append(text).append("\n\n");
                    sink.comment(text);
                }
            };
            String outcome = pump(d, s, both);
            if (outcome.equals("ok")) {
                idempotency.complete(d.caller().id(), idemKey.get(), 200, "text/event-stream; charset=utf-8",
                        sse.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                idempotency.abandon(d.caller().id(), idemKey.get());
            }
        });
    }

    /** Relays the upstream's events, then records what the request used and ends the stream; returns the outcome. */
    private String pump(Dispatch d, Upstream.Stream s, ApiResponse.EventSink sink) throws IOException {
        TokenUsage reported = null;
        StringBuilder produced = new StringBuilder();
        String outcome = null;
        OpenAiError failure = null;
        try (s) {
            String line;
            while (true) {
                try {
                    line = s.nextLine();
                } catch (IOException e) {
                    outcome = "stream_broken";
                    failure = OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' broke the stream mid-answer: " + e.getMessage());
                    break;
                }
                if (line == null) {
                    outcome = "stream_broken";
                    failure = OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' ended the stream before it was complete.");
                    break;
                }
                if (!line.startsWith("data:")) continue;
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) {
                    outcome = "ok";
                    break;
                }
                JsonNode chunk;
                try {
                    chunk = json.readTree(data);
                } catch (IOException e) {
                    outcome = "stream_broken";
                    failure = OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' sent a malformed stream event.");
                    break;
                }
                if (chunk.has("error")) {
                    outcome = "upstream_error";
                    failure = OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' failed mid-answer: "
                            + chunk.path("error").path("message").asText(chunk.path("error").asText()));
                    break;
                }
                JsonNode usage = chunk.get("usage");
                boolean usageOnly = usage != null && usage.isObject() && chunk.path("choices").isEmpty();
                if (usage != null && usage.isObject()) reported = usage(usage);
                for (JsonNode c : chunk.path("choices")) produced.append(c.path("delta").path("content").asText(""));
                if (usageOnly && !d.chat().clientWantsUsage()) continue;
                try {
                    sink.data(data);
                } catch (IOException clientGone) {
                    outcome = "client_disconnected";
                    break;
                }
            }
        }
        TokenUsage used = reported != null ? reported
                : new TokenUsage(tokens.count(d.chat().promptText()), tokens.count(produced.toString()), 0);
        Usd cost = record(d, used, 200, outcome, reported != null ? "upstream" : "estimated");
        if (outcome.equals("client_disconnected")) return outcome;
        if (failure != null) {
            sink.data(json.writeValueAsString(failure.toJson(json)));
        } else {
            sink.comment("tiergate-cost-usd " + cost.plain());
        }
        sink.data("[DONE]");
        return outcome;
    }

    private TokenUsage usage(JsonNode u) {
        return new TokenUsage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0),
                u.path("prompt_tokens_details").path("cached_tokens").asInt(0));
    }

    private OpenAiError.Failure unreachable(Dispatch d, Upstream.UpstreamException e) {
        int status = e.kind() == Upstream.UpstreamException.Kind.TIMEOUT ? 504 : 502;
        record(d, TokenUsage.NONE, status, "upstream_error", "upstream");
        String what = e.kind() == Upstream.UpstreamException.Kind.TIMEOUT ? "did not answer within the deadline"
                : "could not be reached";
        return OpenAiError.upstream(status, "Tier '" + d.tier().name() + "' " + what + ".").failure();
    }

    /** Maps an upstream's error answer to the client's: its own mistakes stay 4xx, the fleet's become 502. */
    private OpenAiError.Failure rejected(Dispatch d, int status, byte[] body) {
        String message = upstreamMessage(body);
        if (status == 400) {
            record(d, TokenUsage.NONE, 400, "rejected", "upstream");
            String code = message.startsWith(CONTEXT_PREFIX) ? "context_length_exceeded" : "invalid_request";
            return new OpenAiError(400, "invalid_request_error", message, java.util.Optional.of("messages"),
                    java.util.Optional.of(code)).failure();
        }
        record(d, TokenUsage.NONE, 502, "upstream_error", "upstream");
        LOG.log(System.Logger.Level.WARNING, "request {0}: tier {1} answered {2}: {3}", d.requestId(), d.tier().name(), status, message);
        return OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' answered HTTP " + status + ": " + message).failure();
    }

    private String upstreamMessage(byte[] body) {
        try {
            JsonNode n = json.readTree(body);
            if (n == null) return "(empty body)";
            JsonNode err = n.get("error");
            if (err != null && err.isObject()) return err.path("message").asText("(no message)");
            if (err != null && err.isTextual()) return err.asText();
            if (n.has("message")) return n.get("message").asText();
            return n.toString();
        } catch (IOException e) {
            return new String(body, 0, Math.min(body.length, 200), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * Writes the request's usage record together with its settlement (tokens were produced) or release (none were),
     * in one ledger write; a request is recorded once whatever path it takes.
     */
    private Usd record(Dispatch d, TokenUsage used, int status, String outcome, String source) {
        Usd cost = TierPricing.cost(d.tier().prices(), used);
        if (d.recorded) return cost;
        d.recorded = true;
        long latency = Duration.between(d.start(), clock.instant()).toMillis();
        ApiKey k = d.caller();
        UsageRecord usage = new UsageRecord(d.requestId(), d.start(), k.id(), k.org(), k.team(), k.user(), d.tier().name(),
                d.route().model(), used, cost, latency, status, outcome, d.chat().stream(), source);
        if (used.totalTokens() > 0) guard.settle(d.reservation, usage);
        else guard.release(d.reservation, usage);
        return cost;
    }

    private Map<String, String> headers(Dispatch d) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(Responses.REQUEST_ID, d.requestId());
        h.put(Responses.TIER, d.tier().name());
        d.route().classification().ifPresent(c -> {
            h.put(Responses.COMPLEXITY, c.complexity().wire());
            h.put(Responses.COMPLEXITY_SCORE, Double.toString(c.score()));
        });
        d.route().shadowOf().ifPresent(t -> h.put(Responses.SHADOW_TIER, t.name()));
        d.downgradedFrom.ifPresent(t -> h.put(Responses.DOWNGRADED_FROM, t));
        if (!d.route().model().equals(d.tier().model())) h.put(Responses.MODEL, d.route().model());
        return h;
    }
}
