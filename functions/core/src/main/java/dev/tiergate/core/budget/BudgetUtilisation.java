package dev.tiergate.core.budget;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.util.Optional;

/**
 * How full the fullest budget is now: every definition's current hour, day and month, read from the ledger. What the
 * budget alarms follow, published through the day rather than once a day with the report.
 */
public final class BudgetUtilisation {

    private final BudgetStore budgets;
    private final BudgetLedger ledger;
    private final BudgetCalendar calendar;
    private final Clock clock;

    public BudgetUtilisation(BudgetStore budgets, BudgetLedger ledger, BudgetCalendar calendar, Clock clock) {
        this.budgets = budgets;
        this.ledger = ledger;
        this.calendar = calendar;
        this.clock = clock;
    }

    /** The fullest period of any budget: its owner, period and share spent (1.0 is the whole limit). */
    public record Fullest(ScopeRef owner, Period period, double share) {}

    public Optional<Fullest> fullest() {
        Fullest best = null;
        for (BudgetPolicy p : budgets.all()) {
            for (PeriodState st : ledger.state(p.owner(), clock.instant(), calendar, Optional.of(p))) {
                if (st.limit().isEmpty()) continue;
                BigDecimal limit = st.limit().get().amount();
                double share = limit.signum() == 0 ? (st.spent().isZero() ? 0 : Double.POSITIVE_INFINITY)
                        : st.spent().amount().divide(limit, MathContext.DECIMAL64).doubleValue();
                if (best == null || share > best.share()) best = new Fullest(p.owner(), st.period(), share);
            }
        }
        return Optional.ofNullable(best);
    }
}
