package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * A whole chat answer ({@code "object": "chat.completion"}). Null fields are written as null, as vLLM writes them.
 *
 * @param systemFingerprint vLLM's build fingerprint; null from servers that do not send one
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage", "system_fingerprint"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletion(String id, long created, String model, List<Choice> choices, Usage usage,
                             String systemFingerprint) {

    public ChatCompletion {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public static ChatCompletion of(String id, long created, String model, List<Choice> choices, Usage usage) {
        return new ChatCompletion(id, created, model, choices, usage, null);
    }

    /** One choice holding {@code text} that ended for {@code finishReason}. */
    public static ChatCompletion answer(String id, long created, String model, String text, String finishReason, Usage usage) {
        return of(id, created, model, List.of(Choice.of(0, text, finishReason)), usage);
    }

    @JsonProperty
    public String object() {
        return "chat.completion";
    }

    /** The first choice's text; empty when there is none. */
    public String text() {
        return choices.isEmpty() || choices.get(0).message().content() == null ? "" : choices.get(0).message().content();
    }

    /** @param stopReason the stop string or token that ended it; null at the end of sequence */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"index", "message", "logprobs", "finish_reason", "stop_reason"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Choice(int index, Message message, String finishReason, String stopReason, TokenLogprobs logprobs) {

        /** Without log probabilities (null on the wire), as when a request does not ask for them. */
        public Choice(int index, Message message, String finishReason, String stopReason) {
            this(index, message, finishReason, stopReason, null);
        }

        public static Choice of(int index, String text, String finishReason) {
            return new Choice(index, Message.assistant(text), finishReason, null);
        }
    }

    /** The assistant's message; {@code tool_calls} is empty and {@code reasoning} null unless a model used them. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"role", "content", "tool_calls", "reasoning"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Message(String role, String content, List<Object> toolCalls, String reasoning) {

        public Message {
            toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        }

        public static Message assistant(String content) {
            return new Message("assistant", content, List.of(), null);
        }

        /** A message that only calls tools: no content. */
        public static Message calling(List<ToolCall> calls) {
            return new Message("assistant", null, List.<Object>copyOf(calls), null);
        }
    }
}
