package dev.tiergate.core.config;

/**
 * The semantic cache of one team (or the gateway's default for every team): answers to prompts that mean the same as
 * one answered before, found by embedding and guarded against false hits.
 *
 * @param enabled        off by default: a team opts in
 * @param threshold      the least cosine similarity of the two prompts' embeddings for a hit (the guard must agree too)
 * @param ttlSeconds     how long a kept answer may be served
 * @param maxEntries     how many answers the team keeps at most (entries written in any one TTL window are bounded by
 *                       half of it, so the live ones never exceed it)
 * @param maxPromptChars longer prompts are neither looked up nor kept
 * @param anySampling    also requests that are not deterministic (neither temperature 0 nor a seed); one choice always
 */
public record SemanticCacheSettings(boolean enabled, double threshold, long ttlSeconds, long maxEntries, int maxPromptChars,
                                    boolean anySampling) {

    /** Tuned on the project's development pairs, see {@code docs/semantic-cache.md}. */
    public static final double DEFAULT_THRESHOLD = 0.83;
    /** The router embeds a prompt's first 256 characters; the cache compares no more than it embeds. */
    public static final int DEFAULT_MAX_PROMPT_CHARS = 256;

    public static final SemanticCacheSettings OFF = new SemanticCacheSettings(false, DEFAULT_THRESHOLD, 3600, 10_000,
            DEFAULT_MAX_PROMPT_CHARS, false);

    public SemanticCacheSettings {
        if (threshold <= 0 || threshold > 1) throw new IllegalArgumentException("threshold must be in (0, 1]");
        if (ttlSeconds <= 0) throw new IllegalArgumentException("ttl_seconds must be positive");
        if (maxEntries < 2) throw new IllegalArgumentException("max_entries must be at least 2");
        if (maxPromptChars < 1) throw new IllegalArgumentException("max_prompt_chars must be positive");
    }
}
