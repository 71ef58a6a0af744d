package dev.tiergate.core.budget;

import java.util.Locale;

/** Which rate limit refused a request. */
public enum RateLimitKind {
    REQUESTS_PER_MINUTE,
    TOKENS_PER_MINUTE,
    /** A minute's row holds both limits in one conditional write, which cannot say which of the two it failed. */
    REQUESTS_OR_TOKENS_PER_MINUTE,
    MAX_CONCURRENT;

    /** As the error message names it, e.g. {@code requests_per_minute}. */
    public String wire() {
        return this == REQUESTS_OR_TOKENS_PER_MINUTE ? "requests_per_minute or tokens_per_minute" : name().toLowerCase(Locale.ROOT);
    }
}
