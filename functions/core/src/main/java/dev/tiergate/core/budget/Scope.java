package dev.tiergate.core.budget;

import java.util.Locale;
import java.util.Optional;

/** Who a budget belongs to. A request counts against its key, its user, its team and the organisation at once. */
public enum Scope {
    KEY, USER, TEAM, ORG;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Scope> fromWire(String s) {
        for (Scope v : values()) if (v.wire().equals(s)) return Optional.of(v);
        return Optional.empty();
    }
}
