package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One event of a streamed legacy completion: the same {@code "object"} as the whole answer, text per choice. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record TextCompletionChunk(String id, long created, String model, List<Choice> choices, Usage usage) {

    public TextCompletionChunk {
        choices = List.copyOf(choices);
    }

    public static TextCompletionChunk text(String id, long created, String model, int index, String text, String finishReason) {
        return new TextCompletionChunk(id, created, model, List.of(new Choice(index, text, finishReason)), null);
    }

    public static TextCompletionChunk text(String id, long created, String model, int index, String text, String finishReason,
                                           TextLogprobs logprobs) {
        return new TextCompletionChunk(id, created, model, List.of(new Choice(index, text, finishReason, logprobs)), null);
    }

    public static TextCompletionChunk usage(String id, long created, String model, Usage usage) {
        return new TextCompletionChunk(id, created, model, List.of(), usage);
    }

    @JsonProperty
    public String object() {
        return "text_completion";
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"index", "text", "logprobs", "finish_reason"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Choice(int index, String text, @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason,
                         @JsonInclude(JsonInclude.Include.ALWAYS) TextLogprobs logprobs) {

        public Choice(int index, String text, String finishReason) {
            this(index, text, finishReason, null);
        }
    }
}
