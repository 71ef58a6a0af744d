package dev.tiergate.adapters.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.core.routing.SelfAssessment;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks the router tier's model to rate a prompt's complexity from 0 to 10: a fixed system prompt, temperature 0,
 * at most 2 output tokens, and a hard time box. Anything late, failed or not a number is left out, never an error.
 */
public final class LlmSelfAssessment implements SelfAssessment {

    static final String SYSTEM_PROMPT = "Rate how complex the user's request is for an AI assistant, from 0 (a simple "
            + "fact or definition) to 10 (multi-step reasoning, math, code or deep analysis). Answer with the number only.";
    private static final Pattern NUMBER = Pattern.compile("\\b(10|[0-9])\\b");

    private final Upstream upstream;
    private final FleetRegistry fleet;
    private final String tier;
    private final String model;
    private final ObjectMapper json = new ObjectMapper();

    public LlmSelfAssessment(Upstream upstream, FleetRegistry fleet, String tier, String model) {
        this.upstream = upstream;
        this.fleet = fleet;
        this.tier = tier;
        this.model = model;
    }

    @Override
    public OptionalDouble rate(String prompt, Duration timeout) {
        List<URI> replicas = fleet.replicas(tier);
        if (replicas.isEmpty()) return OptionalDouble.empty();
        ObjectNode body = json.createObjectNode();
        body.put("model", model);
        body.put("temperature", 0);
        body.put("max_tokens", 2);
        body.putArray("messages").addObject().put("role", "system").put("content", SYSTEM_PROMPT);
        ((com.fasterxml.jackson.databind.node.ArrayNode) body.get("messages")).addObject().put("role", "user").put("content", prompt);
        try {
            Upstream.Reply reply = upstream.send(replicas.get(Math.floorMod(prompt.hashCode(), replicas.size()))
                    .resolve("/v1/chat/completions"), json.writeValueAsBytes(body), Instant.now().plus(timeout));
            if (reply.status() != 200) return OptionalDouble.empty();
            JsonNode answer = json.readTree(reply.body());
            Matcher m = NUMBER.matcher(answer.at("/choices/0/message/content").asText(""));
            return m.find() ? OptionalDouble.of(Integer.parseInt(m.group(1))) : OptionalDouble.empty();
        } catch (Exception late) {
            return OptionalDouble.empty();
        }
    }
}
