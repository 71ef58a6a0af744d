package dev.tiergate.core.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.protocol.OpenAiError;

import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds JSON answers with the headers every tiergate answer carries. */
public final class Responses {

    public static final String REQUEST_ID = "x-tiergate-request-id";
    public static final String TIER = "x-tiergate-tier";
    public static final String COST = "x-tiergate-cost-usd";
    public static final String COMPLEXITY = "x-tiergate-complexity";
    public static final String COMPLEXITY_SCORE = "x-tiergate-complexity-score";
    /** What scored an auto-routed prompt: {@code heuristics} (the model off, loading or not needed) or {@code heuristics+embedding}. */
    public static final String SCORER = "x-tiergate-scorer";
    public static final String SHADOW_TIER = "x-tiergate-shadow-tier";
    public static final String MODEL = "x-tiergate-model";
    public static final String DOWNGRADED_FROM = "x-tiergate-downgraded-from";
    public static final String FALLBACK_FROM = "x-tiergate-fallback-from";
    public static final String DEGRADED = "x-tiergate-degraded";
    public static final String CACHE = "x-tiergate-cache";
    /** On a semantic hit: the cosine similarity of the two prompts' embeddings. */
    public static final String CACHE_SIMILARITY = "x-tiergate-cache-similarity";

    private final ObjectMapper json;

    public Responses(ObjectMapper json) {
        this.json = json;
    }

    public ApiResponse.Whole json(int status, JsonNode body, Map<String, String> headers) {
        try {
            return raw(status, json.writeValueAsBytes(body), headers);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ApiResponse.Whole raw(int status, byte[] body, Map<String, String> headers) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.putIfAbsent("content-type", "application/json");
        return new ApiResponse.Whole(status, h, body);
    }

    public ApiResponse.Whole error(OpenAiError e, String requestId) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(REQUEST_ID, requestId);
        e.retryAfterSeconds().ifPresent(s -> h.put("retry-after", Long.toString(s)));
        return json(e.status(), e.toJson(json), h);
    }
}
