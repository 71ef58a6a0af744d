package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The budget of one scope: a limit per period (any may be absent), what to do when a request would not fit, and when
 * to warn.
 */
public record BudgetPolicy(ScopeRef owner, Map<Period, Usd> limits, Action action, double warnAt) {

    public enum Action {
        /** refuse the request (429 budget_exceeded) */
        REJECT,
        /** send it to the most capable cheaper tier whose estimate fits; refuse when even the cheapest does not */
        DOWNGRADE;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public BudgetPolicy {
        limits = limits.isEmpty() ? Map.of() : new EnumMap<>(limits);
    }

    public Optional<Usd> limit(Period p) {
        return Optional.ofNullable(limits.get(p));
    }
}
