package dev.tiergate.core.usage;

import java.util.Locale;

/** Where a usage record's token counts come from. */
public enum UsageSource {
    /** The upstream's own usage. */
    UPSTREAM,
    /** Counted by tiergate's tokenizer: the upstream never sent its usage (a broken, dropped or journaled stream). */
    ESTIMATED,
    /** No tokens: a cache hit. */
    CACHE,
    /** No tokens: nothing was produced (a degraded answer). */
    NONE;

    /** Formatted once: every usage record, metric and log line asks for it. */
    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static UsageSource fromWire(String s) {
        for (UsageSource u : values()) if (u.wire().equals(s)) return u;
        throw new IllegalArgumentException("unknown usage source '" + s + "'");
    }
}
