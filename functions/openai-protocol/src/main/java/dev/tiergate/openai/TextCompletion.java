package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** A whole answer of the legacy completions API ({@code "object": "text_completion"}): text per choice, no messages. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage", "system_fingerprint"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record TextCompletion(String id, long created, String model, List<Choice> choices, Usage usage, String systemFingerprint) {

    public TextCompletion {
        choices = List.copyOf(choices);
    }

    @JsonProperty
    public String object() {
        return "text_completion";
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"index", "text", "logprobs", "finish_reason", "stop_reason"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Choice(int index, String text, String finishReason, String stopReason, TextLogprobs logprobs) {

        public Choice(int index, String text, String finishReason, String stopReason) {
            this(index, text, finishReason, stopReason, null);
        }
    }
}
