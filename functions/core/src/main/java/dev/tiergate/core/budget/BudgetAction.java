package dev.tiergate.core.budget;

import java.util.Locale;

/** What the budget did with a request. */
public enum BudgetAction {
    /** Held its worst case on the tier it was routed to. */
    ALLOW,
    /** Sent it to a cheaper tier that still fits. */
    DOWNGRADE,
    /** Refused it. */
    REJECT,
    /** Budgets did not run (a cache hit). */
    NONE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
