package dev.tiergate.core.budget;

import java.util.Locale;
import java.util.Optional;

/** What a limit is per: one request, or a calendar hour, day or month in the configured time zone. */
public enum Period {
    REQUEST, HOUR, DAY, MONTH;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Period> fromWire(String s) {
        for (Period v : values()) if (v.wire().equals(s)) return Optional.of(v);
        return Optional.empty();
    }
}
