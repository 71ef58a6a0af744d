package dev.tiergate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;
import java.util.Optional;

/**
 * What vLLM does with {@code tools} and {@code response_format}, as far as a client can tell: a named or required
 * tool choice is always answered with a call (vLLM decodes it under a grammar), {@code auto} (OpenAI's default when
 * tools are given) needs the server's tool-call parser and calls a tool the user's last message names, and a JSON
 * response format gets JSON that its schema accepts.
 */
final class StructuredOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A call of the function {@code name} with {@code arguments} (a JSON text). */
    record Call(String name, String arguments) {}

    private StructuredOutput() {
    }

    static Optional<Call> toolCall(JsonNode body, boolean autoToolChoice) throws VllmError {
        JsonNode tools = body.get("tools");
        if (tools == null || !tools.isArray() || tools.isEmpty()) return Optional.empty();
        JsonNode choice = body.get("tool_choice");
        String mode = choice == null || choice.isNull() ? "auto" : choice.isTextual() ? choice.asText() : "named";
        switch (mode) {
            case "none" -> {
                return Optional.empty();
            }
            case "auto" -> {
                if (!autoToolChoice) {
                    throw VllmError.badRequest("\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set", null);
                }
                return named(tools, lastUserText(body)).map(StructuredOutput::call);
            }
            case "required" -> {
                return Optional.of(call(named(tools, lastUserText(body)).orElse(tools.get(0))));
            }
            case "named" -> {
                String name = choice.path("function").path("name").asText("");
                for (JsonNode t : tools) if (t.path("function").path("name").asText().equals(name)) return Optional.of(call(t));
                throw VllmError.badRequest("Tool '" + name + "' has not been passed in `tools`.", "tool_choice");
            }
            default -> throw VllmError.schema("tool_choice: Input should be 'none', 'auto' or 'required'");
        }
    }

    /** The JSON text the answer is under {@code response_format}; empty for plain text. */
    static Optional<String> json(JsonNode body, long seed) {
        JsonNode format = body.get("response_format");
        if (format == null || !format.isObject()) return Optional.empty();
        return switch (format.path("type").asText("text")) {
            case "json_object" -> Optional.of(JSON.createObjectNode().put("answer", "simulated").put("seed", seed).toString());
            case "json_schema" -> Optional.of(example(format.path("json_schema").path("schema")).toString());
            default -> Optional.empty();
        };
    }

    /** The first tool whose name's words (of four letters or more) all appear in the text. */
    private static Optional<JsonNode> named(JsonNode tools, String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (JsonNode t : tools) {
            String name = t.path("function").path("name").asText("");
            boolean any = false;
            boolean all = true;
            for (String w : name.toLowerCase(Locale.ROOT).split("[_\\-.]+")) {
                if (w.length() < 4) continue;
                any = true;
                all &= lower.contains(w);
            }
            if (any && all) return Optional.of(t);
        }
        return Optional.empty();
    }

    private static Call call(JsonNode tool) {
        JsonNode f = tool.path("function");
        return new Call(f.path("name").asText(), example(f.path("parameters")).toString());
    }

    /** A value the schema accepts: every property of an object, an enum's first value, a bound when one is given. */
    static JsonNode example(JsonNode schema) {
        JsonNodeFactory n = JsonNodeFactory.instance;
        if (schema.has("enum") && schema.get("enum").isArray() && !schema.get("enum").isEmpty()) return schema.get("enum").get(0);
        if (schema.has("const")) return schema.get("const");
        String type = schema.path("type").isArray() ? schema.path("type").get(0).asText() : schema.path("type").asText("");
        if (type.isEmpty() && schema.has("properties")) type = "object";
        return switch (type) {
            case "object" -> {
                ObjectNode o = n.objectNode();
                schema.path("properties").properties().forEach(e -> o.set(e.getKey(), example(e.getValue())));
                yield o;
            }
            case "array" -> {
                ArrayNode a = n.arrayNode();
                int min = schema.path("minItems").asInt(1);
                for (int i = 0; i < Math.max(1, min); i++) a.add(example(schema.path("items")));
                yield a;
            }
            case "integer" -> n.numberNode(schema.path("minimum").asLong(1));
            case "number" -> n.numberNode(schema.has("minimum") ? schema.get("minimum").asDouble() : 1.5);
            case "boolean" -> n.booleanNode(true);
            case "null" -> n.nullNode();
            default -> n.textNode("sample");
        };
    }

    private static String lastUserText(JsonNode body) {
        String last = "";
        for (JsonNode m : body.path("messages")) {
            if (!m.path("role").asText().equals("user")) continue;
            JsonNode c = m.get("content");
            if (c != null && c.isTextual()) last = c.asText();
            else if (c != null && c.isArray()) {
                StringBuilder sb = new StringBuilder();
                for (JsonNode p : c) sb.append(p.path("text").asText("")).append(' ');
                last = sb.toString();
            }
        }
        return last;
    }
}
