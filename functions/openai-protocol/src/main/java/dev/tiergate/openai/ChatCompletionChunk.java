package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * One event of a streamed chat answer ({@code "object": "chat.completion.chunk"}): a delta per choice, or, last and
 * only when asked for, no choices and the request's usage.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletionChunk(String id, long created, String model, List<Choice> choices, Usage usage) {

    public ChatCompletionChunk {
        choices = List.copyOf(choices);
    }

    /** The first event of a choice: the role, and empty content. */
    public static ChatCompletionChunk role(String id, long created, String model, int index) {
        return new ChatCompletionChunk(id, created, model, List.of(new Choice(index, new Delta("assistant", ""), null)), null);
    }

    /** A piece of text; {@code finishReason} null until the choice's last piece. */
    public static ChatCompletionChunk content(String id, long created, String model, int index, String text, String finishReason) {
        return new ChatCompletionChunk(id, created, model, List.of(new Choice(index, new Delta(null, text), finishReason)), null);
    }

    /** A piece of the {@code index}-th choice's text with its tokens' log probabilities. */
    public static ChatCompletionChunk content(String id, long created, String model, int index, String text, String finishReason,
                                              TokenLogprobs logprobs) {
        return new ChatCompletionChunk(id, created, model, List.of(new Choice(index, new Delta(null, text), finishReason, logprobs)), null);
    }

    /** The usage event: no choices. */
    public static ChatCompletionChunk usage(String id, long created, String model, Usage usage) {
        return new ChatCompletionChunk(id, created, model, List.of(), usage);
    }

    @JsonProperty
    public String object() {
        return "chat.completion.chunk";
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"index", "delta", "logprobs", "finish_reason"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Choice(int index, Delta delta, @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason,
                         @JsonInclude(JsonInclude.Include.ALWAYS) TokenLogprobs logprobs) {

        public Choice(int index, Delta delta, String finishReason) {
            this(index, delta, finishReason, null);
        }
    }

    /** What a chunk adds: the role once, then text or pieces of tool calls. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"role", "content", "tool_calls"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content, List<ToolCall.Delta> toolCalls) {
        public Delta(String role, String content) {
            this(role, content, null);
        }
    }

    /** A piece of the {@code index}-th choice's tool calls. */
    public static ChatCompletionChunk toolCalls(String id, long created, String model, int index, ToolCall.Delta delta) {
        return new ChatCompletionChunk(id, created, model, List.of(new Choice(index, new Delta(null, null, List.of(delta)), null)), null);
    }

    /** The choice's last event: nothing more to add, and why it finished. */
    public static ChatCompletionChunk finish(String id, long created, String model, int index, String finishReason) {
        return new ChatCompletionChunk(id, created, model, List.of(new Choice(index, new Delta(null, null, null), finishReason)), null);
    }
}
