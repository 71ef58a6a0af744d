package dev.tiergate.core.usage;

import java.util.Locale;

/** How a request ended, by the name usage records, metrics, logs and reports give it. */
public enum Outcome {
    /** Answered in full. */
    OK,
    /** Answered from the exact cache, at no cost. */
    CACHE_HIT,
    /** Answered from the semantic cache (a prompt that means the same was answered before), at no cost. */
    SEMANTIC_CACHE_HIT,
    /** Every tier failed and the team's cached answer was served instead. */
    CACHE_FALLBACK,
    /** Every tier failed and the polite degraded answer was served. */
    DEGRADED,
    /** The upstream refused the request as the client's mistake (400). */
    REJECTED,
    /** A budget or rate limit refused it before dispatch. */
    BUDGET_REJECTED,
    /** The tier and its fallbacks could not answer. */
    UPSTREAM_ERROR,
    /** tiergate itself failed. */
    GATEWAY_ERROR,
    /** A stream broke after its first token; what was produced is charged. */
    STREAM_BROKEN,
    /** The client left; what was produced is charged. */
    CLIENT_DISCONNECTED,
    /** The gateway died mid-stream; the sweeper charged what the stream had journaled. */
    INTERRUPTED;

    /** Formatted once: every usage record, metric and log line asks for it. */
    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    /** Reads a stored name; an unknown one is a corrupt record. */
    public static Outcome fromWire(String s) {
        for (Outcome o : values()) if (o.wire().equals(s)) return o;
        throw new IllegalArgumentException("unknown outcome '" + s + "'");
    }

    /** Answered from a cache instead of a model: what the cache hit rate counts. */
    public boolean cacheHit() {
        return this == CACHE_HIT || this == SEMANTIC_CACHE_HIT;
    }

    /** Counted as an error in reports and alarms (besides any status of 400 or more). */
    public boolean failed() {
        return switch (this) {
            case STREAM_BROKEN, UPSTREAM_ERROR, GATEWAY_ERROR, INTERRUPTED -> true;
            case OK, CACHE_HIT, SEMANTIC_CACHE_HIT, CACHE_FALLBACK, DEGRADED, REJECTED, BUDGET_REJECTED, CLIENT_DISCONNECTED -> false;
        };
    }
}
