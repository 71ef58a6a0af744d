package dev.tiergate.core.money;

/**
 * Tokens one request used, as the upstream reported them (or as tiergate counted them when the upstream could not).
 * {@code cachedTokens} are the prompt tokens served from the prefix cache, a part of {@code promptTokens}.
 */
public record TokenUsage(int promptTokens, int completionTokens, int cachedTokens) {

    public static final TokenUsage NONE = new TokenUsage(0, 0, 0);

    public TokenUsage {
        if (promptTokens < 0 || completionTokens < 0 || cachedTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
        cachedTokens = Math.min(cachedTokens, promptTokens);
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
