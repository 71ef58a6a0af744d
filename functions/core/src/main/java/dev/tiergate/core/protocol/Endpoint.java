package dev.tiergate.core.protocol;

/** The OpenAI endpoints tiergate serves and forwards, each to the same path on the tier. */
public enum Endpoint {
    CHAT_COMPLETIONS("/v1/chat/completions"),
    /** The legacy text completions API: {@code prompt} instead of messages, text instead of a message in the answer. */
    COMPLETIONS("/v1/completions"),
    /** Vectors, not text: no output tokens, never streamed, served only by tiers with the {@code embeddings} capability. */
    EMBEDDINGS("/v1/embeddings");

    /** The capability a tier lists to serve embeddings; a tier that lists it without {@code chat} does not generate. */
    public static final String EMBEDDINGS_CAPABILITY = "embeddings";

    private final String path;

    Endpoint(String path) {
        this.path = path;
    }

    public String path() {
        return path;
    }

    public boolean generates() {
        return this != EMBEDDINGS;
    }
}
