package dev.tiergate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * Turns chat messages into the token ids the engine sees: a ChatML-style template (as most instruction-tuned models
 * use) encoded with a real BPE tokenizer (cl100k_base). The exact ids differ from any one open model's tokenizer, but
 * counts, shared prefixes and block boundaries behave the same way, which is what routing, budgets and the prefix
 * cache depend on.
 */
public final class PromptTokenizer {

    private final Encoding encoding;

    public PromptTokenizer() {
        this(Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE));
    }

    /** Shares a cl100k_base encoding loaded elsewhere in the process (loading one costs ~0.15-0.3 s of CPU). */
    public PromptTokenizer(Encoding cl100k) {
        this.encoding = cl100k;
    }

    /**
     * Tokens a vision model's processor puts in the prompt for one image (a 336-pixel image in 14-pixel patches, as
     * LLaVA-1.5's): a fixed stand-in for what only the model's own processor knows.
     */
    public static final int IMAGE_TOKENS = 576;
    /** The token id the image placeholders take. */
    private static final int IMAGE_TOKEN_ID = 0;

    /** Renders and encodes a chat request's {@code messages}; throws {@link IllegalArgumentException} on a bad shape. */
    public int[] encodeChat(JsonNode messages) {
        return encodeChat(messages, null);
    }

    /**
     * The prompt as the chat template renders it: the tool definitions first (as a system block, the way tool-calling
     * templates put them), then each message; every image part becomes {@link #IMAGE_TOKENS} placeholder tokens.
     */
    public int[] encodeChat(JsonNode messages, JsonNode tools) {
        StringBuilder sb = new StringBuilder();
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            sb.append("<|im_start|>system\n# Tools\n").append(tools).append("<|im_end|>\n");
        }
        int images = 0;
        for (JsonNode m : messages) {
            if (!m.isObject()) throw new IllegalArgumentException("each message must be an object");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw new IllegalArgumentException("each message needs a string 'role'");
            sb.append("<|im_start|>").append(role.asText()).append('\n').append(contentText(m.get("content"))).append("<|im_end|>\n");
            images += imageParts(m.get("content"));
        }
        sb.append("<|im_start|>assistant\n");
        int[] text = encode(sb.toString());
        if (images == 0) return text;
        int[] all = java.util.Arrays.copyOf(text, text.length + images * IMAGE_TOKENS);
        java.util.Arrays.fill(all, text.length, all.length, IMAGE_TOKEN_ID);
        return all;
    }

    private static int imageParts(JsonNode content) {
        int n = 0;
        if (content != null && content.isArray()) {
            for (JsonNode part : content) if ("image_url".equals(part.path("type").asText())) n++;
        }
        return n;
    }

    public int[] encode(String text) {
        IntArrayList ids = encoding.encodeOrdinary(text);
        return ids.toArray();
    }

    public int count(String text) {
        return encoding.countTokensOrdinary(text);
    }

    /** The text cut into its tokens, each as its UTF-8 bytes (a token may hold part of a character). */
    public java.util.List<byte[]> tokenBytes(String text) {
        IntArrayList ids = encoding.encodeOrdinary(text);
        java.util.List<byte[]> out = new java.util.ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            IntArrayList one = new IntArrayList(1);
            one.add(ids.get(i));
            out.add(encoding.decodeBytes(one));
        }
        return out;
    }

    static String contentText(JsonNode content) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode text = part.get("text");
                if (text != null && text.isTextual()) sb.append(text.asText());
            }
            return sb.toString();
        }
        throw new IllegalArgumentException("message 'content' must be a string or a list of parts");
    }
}
