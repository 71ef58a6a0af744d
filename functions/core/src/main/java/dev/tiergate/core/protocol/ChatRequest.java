package dev.tiergate.core.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;
import java.util.Set;

/**
 * A validated request body for one of the {@link Endpoint}s: a chat, a legacy completion or an embedding request. The
 * original JSON is kept so that fields tiergate does not interpret (tools, response_format, vLLM extras) reach the
 * upstream unchanged.
 *
 * @param promptText   the text of every message, concatenated; what token estimates look at
 * @param lastUserText the latest user turn; what the router classifies
 * @param choices      {@code n}: how many answers are asked for (1 when absent or null)
 * @param mediaParts   image, audio and file content parts
 * @param toolsText    the tool definitions as the upstream's chat template reads them (empty without tools)
 * @param messageCount the messages of a chat; the prompts of a completion or the inputs of an embedding request
 * @param choices      the sequences generated: {@code n} for a chat; for a completion, {@code n} (or {@code best_of})
 *                     for each prompt
 * @param idTokens     prompt tokens sent as token ids (embedding inputs), counted exactly and not in {@code promptText}
 */
public record ChatRequest(Endpoint endpoint, ObjectNode body, String model, int messageCount, String promptText, String lastUserText,
                          boolean stream, boolean clientWantsUsage, Optional<Integer> maxTokens, int choices,
                          int mediaParts, String toolsText, int idTokens) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final Set<String> PART_TYPES = Set.of("text", "image_url", "input_audio", "file", "refusal");

    /** Validates the body; every problem is a 400 naming the field. */
    public static ChatRequest from(JsonNode node) {
        if (!(node instanceof ObjectNode body)) throw OpenAiError.invalidRequest("The request body must be a JSON object.", null).failure();
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw OpenAiError.invalidRequest("you must provide a model parameter ('auto' lets tiergate choose the tier)", "model").failure();
        }
        if (!model.isTextual() || model.asText().isBlank()) throw OpenAiError.invalidRequest("'model' must be a non-empty string", "model").failure();
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) throw OpenAiError.invalidRequest("Missing required parameter: 'messages'.", "messages").failure();
        if (!messages.isArray()) throw OpenAiError.invalidRequest("'messages' must be an array of message objects.", "messages").failure();
        if (messages.isEmpty()) throw OpenAiError.invalidRequest("'messages' must contain at least one message.", "messages").failure();
        StringBuilder text = new StringBuilder();
        int[] media = {0};
        String lastUser = "";
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw OpenAiError.invalidRequest(where + " must be an object.", where).failure();
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw OpenAiError.invalidRequest(where + ".role is required.", where + ".role").failure();
            if (!ROLES.contains(role.asText())) {
                throw OpenAiError.invalidRequest(where + ".role '" + role.asText() + "' is not one of " + ROLES + ".", where + ".role").failure();
            }
            int before = text.length();
            appendContent(m.get("content"), role.asText(), m, where, text, media);
            if (role.asText().equals("user")) lastUser = text.substring(before);
            text.append('\n');
        }
        boolean stream = bool(body, "stream");
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!stream) throw OpenAiError.invalidRequest("'stream_options' is only allowed when 'stream' is true.", "stream_options").failure();
            if (!so.isObject()) throw OpenAiError.invalidRequest("'stream_options' must be an object.", "stream_options").failure();
        }
        boolean wantsUsage = so != null && so.path("include_usage").asBoolean(false);
        Optional<Integer> maxTokens = positiveInt(body, "max_completion_tokens").or(() -> positiveInt(body, "max_tokens"));
        int choices = positiveInt(body, "n").orElse(1);
        SamplingParameters.validate(body);
        return new ChatRequest(Endpoint.CHAT_COMPLETIONS, body, model.asText(), messages.size(), text.toString(),
                lastUser.isEmpty() ? text.toString() : lastUser, stream, wantsUsage, maxTokens, choices, media[0], toolsText(body), 0);
    }

    /** A {@code POST /v1/completions} body: {@code prompt} a string or a list of strings. */
    public static ChatRequest fromCompletion(JsonNode node) {
        ObjectNode body = object(node);
        String model = model(body);
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) throw OpenAiError.invalidRequest("Missing required parameter: 'prompt'.", "prompt").failure();
        java.util.List<String> prompts = new java.util.ArrayList<>();
        if (prompt.isTextual()) {
            prompts.add(prompt.asText());
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            for (JsonNode p : prompt) {
                if (!p.isTextual()) throw OpenAiError.invalidRequest("'prompt' must be a string or an array of strings.", "prompt").failure();
                prompts.add(p.asText());
            }
        } else {
            throw OpenAiError.invalidRequest("'prompt' must be a string or a non-empty array of strings.", "prompt").failure();
        }
        boolean stream = bool(body, "stream");
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!stream) throw OpenAiError.invalidRequest("'stream_options' is only allowed when 'stream' is true.", "stream_options").failure();
            if (!so.isObject()) throw OpenAiError.invalidRequest("'stream_options' must be an object.", "stream_options").failure();
        }
        boolean wantsUsage = so != null && so.path("include_usage").asBoolean(false);
        int n = positiveInt(body, "n").orElse(1);
        // best_of sequences are generated per prompt and n of them returned: the budget counts what is generated.
        int bestOf = positiveInt(body, "best_of").orElse(n);
        if (bestOf < n) throw OpenAiError.invalidRequest("'best_of' must be at least 'n'.", "best_of").failure();
        if (stream && bestOf > n) throw OpenAiError.invalidRequest("'best_of' greater than 'n' cannot be streamed.", "best_of").failure();
        SamplingParameters.validate(body, true);
        String text = String.join("\n", prompts);
        return new ChatRequest(Endpoint.COMPLETIONS, body, model, prompts.size(), text, prompts.getLast(), stream, wantsUsage,
                // OpenAI's and vLLM's default for a legacy completion is 16 tokens: held and charged as that.
                Optional.of(positiveInt(body, "max_tokens").orElse(16)), Math.multiplyExact(prompts.size(), bestOf), 0, "", 0);
    }

    /** A {@code POST /v1/embeddings} body: {@code input} a string, a list of strings, token ids, or lists of token ids. */
    public static ChatRequest fromEmbedding(JsonNode node) {
        ObjectNode body = object(node);
        String model = model(body);
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) throw OpenAiError.invalidRequest("Missing required parameter: 'input'.", "input").failure();
        StringBuilder text = new StringBuilder();
        int inputs = 0;
        int ids = 0;
        String bad = "'input' must be a string, an array of strings, an array of token ids, or an array of such arrays.";
        if (input.isTextual()) {
            text.append(input.asText());
            inputs = 1;
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isNumber()) {
            ids = tokenIds(input, "input", bad);
            inputs = 1;
        } else if (input.isArray() && !input.isEmpty()) {
            for (int i = 0; i < input.size(); i++) {
                JsonNode item = input.get(i);
                if (item.isTextual()) text.append(item.asText()).append('\n');
                else if (item.isArray() && !item.isEmpty()) ids += tokenIds(item, "input[" + i + "]", bad);
                else throw OpenAiError.invalidRequest(bad, "input[" + i + "]").failure();
                inputs++;
            }
        } else {
            throw OpenAiError.invalidRequest(bad, "input").failure();
        }
        if (body.has("stream")) throw OpenAiError.invalidRequest("Embeddings are not streamed; leave 'stream' out.", "stream").failure();
        JsonNode format = body.get("encoding_format");
        if (format != null && !format.isNull() && !(format.isTextual() && (format.asText().equals("float") || format.asText().equals("base64")))) {
            throw OpenAiError.invalidRequest("'encoding_format' must be 'float' or 'base64'.", "encoding_format").failure();
        }
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) throw OpenAiError.invalidRequest("'user' must be a string.", "user").failure();
        return new ChatRequest(Endpoint.EMBEDDINGS, body, model, inputs, text.toString(), text.toString(), false, false,
                Optional.empty(), 1, 0, "", ids);
    }

    private static int tokenIds(JsonNode array, String field, String bad) {
        for (JsonNode t : array) {
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) throw OpenAiError.invalidRequest(bad, field).failure();
        }
        return array.size();
    }

    private static ObjectNode object(JsonNode node) {
        if (!(node instanceof ObjectNode body)) throw OpenAiError.invalidRequest("The request body must be a JSON object.", null).failure();
        return body;
    }

    private static String model(ObjectNode body) {
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw OpenAiError.invalidRequest("you must provide a model parameter ('auto' lets tiergate choose the tier)", "model").failure();
        }
        if (!model.isTextual() || model.asText().isBlank()) throw OpenAiError.invalidRequest("'model' must be a non-empty string", "model").failure();
        return model.asText();
    }

    /**
     * What the chat template renders of the tool definitions into the prompt: their JSON, which the upstream counts as
     * prompt tokens. Legacy {@code functions} count the same way.
     */
    private static String toolsText(ObjectNode body) {
        StringBuilder sb = new StringBuilder();
        for (String field : new String[]{"tools", "functions"}) {
            JsonNode v = body.get(field);
            if (v == null || v.isNull()) continue;
            if (!v.isArray()) throw OpenAiError.invalidRequest("'" + field + "' must be an array.", field).failure();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isObject()) throw OpenAiError.invalidRequest(field + "[" + i + "] must be an object.", field + "[" + i + "]").failure();
            }
            sb.append(v).append('\n');
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && choice.isObject()) sb.append(choice).append('\n');
        return sb.toString();
    }

    private static void appendContent(JsonNode content, String role, JsonNode message, String where, StringBuilder text, int[] media) {
        String field = where + ".content";
        if (content == null || content.isNull()) {
            // An assistant turn that only called tools has no content; every other turn needs some.
            if (role.equals("assistant") && message.has("tool_calls")) return;
            throw OpenAiError.invalidRequest(field + " is required for role '" + role + "'.", field).failure();
        }
        if (content.isTextual()) {
            text.append(content.asText());
            return;
        }
        if (!content.isArray()) throw OpenAiError.invalidRequest(field + " must be a string or an array of content parts.", field).failure();
        for (int p = 0; p < content.size(); p++) {
            JsonNode part = content.get(p);
            String pf = field + "[" + p + "]";
            JsonNode type = part.get("type");
            if (!part.isObject() || type == null || !type.isTextual()) {
                throw OpenAiError.invalidRequest(pf + " must be an object with a 'type'.", pf).failure();
            }
            if (!PART_TYPES.contains(type.asText())) {
                throw OpenAiError.invalidRequest(pf + ".type '" + type.asText() + "' is not one of " + PART_TYPES + ".", pf + ".type").failure();
            }
            switch (type.asText()) {
                case "text", "refusal" -> {
                    String field2 = type.asText();
                    JsonNode t = part.get(field2);
                    if (t == null || !t.isTextual()) throw OpenAiError.invalidRequest(pf + "." + field2 + " must be a string.", pf + "." + field2).failure();
                    text.append(t.asText());
                }
                default -> media[0]++;
            }
        }
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw OpenAiError.invalidRequest("'" + field + "' must be true or false.", field).failure();
        return v.asBoolean();
    }

    private static Optional<Integer> positiveInt(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw OpenAiError.invalidRequest("'" + field + "' must be a whole number of at least 1.", field).failure();
        }
        return Optional.of(v.asInt());
    }
}
