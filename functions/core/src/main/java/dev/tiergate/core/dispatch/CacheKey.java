package dev.tiergate.core.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.KeySecrets;

import java.util.Optional;
import java.util.Set;

/**
 * Which requests may be answered from the cache, and under which key. Only deterministic ones: temperature 0 or a
 * seed. The key is the SHA-256 of the team, the tier, the model and the request with its keys sorted, less what does
 * not change the answer (streaming, usage options, the client's user id, tiergate's routing constraints).
 */
public final class CacheKey {

    private static final Set<String> IGNORED = Set.of("stream", "stream_options", "user", "tiergate", "model");
    private final ObjectMapper canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public Optional<String> of(ObjectNode body, String team, String tier, String model) {
        if (!deterministic(body) || body.path("n").asInt(1) != 1) return Optional.empty();
        return hashed(body.deepCopy(), team, tier, model);
    }

    /**
     * The semantic cache's scope: the same key less the wording of the last message, which must be the user's and
     * text. Two requests share a scope when everything but that wording is equal: tier, model, system prompt, earlier
     * turns, tools, response format, sampling parameters, {@code max_tokens}.
     *
     * @param anySampling also requests that are not deterministic (the team opted in); one choice always
     */
    public Optional<String> semanticScope(ObjectNode body, String team, String tier, String model, boolean anySampling) {
        if ((!anySampling && !deterministic(body)) || body.path("n").asInt(1) != 1) return Optional.empty();
        ObjectNode copy = body.deepCopy();
        JsonNode messages = copy.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) return Optional.empty();
        JsonNode last = messages.get(messages.size() - 1);
        if (!last.isObject() || !"user".equals(last.path("role").asText()) || !last.path("content").isTextual()) return Optional.empty();
        ((ObjectNode) last).remove("content");
        return hashed(copy, "semantic\u0000" + team, tier, model);
    }

    private static boolean deterministic(ObjectNode body) {
        JsonNode t = body.get("temperature");
        return (t != null && t.isNumber() && t.asDouble() == 0.0) || (body.hasNonNull("seed") && body.get("seed").isIntegralNumber());
    }

    private Optional<String> hashed(ObjectNode copy, String team, String tier, String model) {
        copy.remove(IGNORED);
        try {
            Object sorted = canonical.treeToValue(copy, Object.class);
            String text = canonical.writeValueAsString(sorted);
            return Optional.of(KeySecrets.hash(team + "\u0000" + tier + "\u0000" + model + "\u0000" + text));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
