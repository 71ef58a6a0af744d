package dev.tiergate.core.config;

import java.time.ZoneId;

/** Defaults for budgets: the time zone their hour, day and month periods follow, and when to warn. */
public record BudgetSettings(ZoneId timezone, double warnAt) {
    public static final BudgetSettings DEFAULT = new BudgetSettings(ZoneId.of("UTC"), 0.8);
}
