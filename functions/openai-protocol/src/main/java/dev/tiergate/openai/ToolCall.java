package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A function the model asks the client to call: in a whole answer's {@code message.tool_calls}, or, streamed, as
 * {@link Delta}s (the first with the id, type and name, the next ones with pieces of the arguments).
 *
 * @param arguments the arguments as a JSON text, as OpenAI sends them
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"id", "type", "function"})
public record ToolCall(String id, String type, Function function) {

    public static ToolCall function(String id, String name, String arguments) {
        return new ToolCall(id, "function", new Function(name, arguments));
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"name", "arguments"})
    public record Function(String name, String arguments) {}

    /** A streamed piece of the {@code index}-th call; fields the piece does not carry are left out. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"index", "id", "type", "function"})
    public record Delta(int index, String id, String type, Function function) {

        public static Delta start(int index, String id, String name) {
            return new Delta(index, id, "function", new Function(name, ""));
        }

        public static Delta arguments(int index, String piece) {
            return new Delta(index, null, null, new Function(null, piece));
        }
    }
}
