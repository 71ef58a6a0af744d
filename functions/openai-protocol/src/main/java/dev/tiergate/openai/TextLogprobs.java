package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * A legacy completion choice's {@code logprobs}: parallel lists, one item per generated token (its character offset in
 * the choice's text, its log probability, its text, and a map of the likeliest tokens in its place, in order).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"text_offset", "token_logprobs", "tokens", "top_logprobs"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record TextLogprobs(List<Integer> textOffset, List<Double> tokenLogprobs, List<String> tokens,
                           List<Map<String, Double>> topLogprobs) {

    public TextLogprobs {
        textOffset = copy(textOffset);
        tokenLogprobs = copy(tokenLogprobs);
        tokens = copy(tokens);
        // Each map keeps its order (likeliest first): copied as given, not into an unordered Map.copyOf.
        topLogprobs = copy(topLogprobs);
    }

    /** Upstream lists may be missing or hold nulls (vLLM writes a null log probability for an echoed first token). */
    static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(list));
    }
}
