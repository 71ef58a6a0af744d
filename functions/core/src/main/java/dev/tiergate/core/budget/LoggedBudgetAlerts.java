package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

/** Budget warnings as log lines: the local stack's alert channel (AWS publishes to SNS instead). */
public final class LoggedBudgetAlerts implements BudgetAlerts {

    private static final System.Logger LOG = System.getLogger("tiergate.budget");

    @Override
    public void warn(LedgerRow row, Usd committed, Usd limit) {
        LOG.log(System.Logger.Level.WARNING, "budget warning: {0} has used ${1} of its {2} limit of ${3} ({4}); resets at {5}",
                row.owner(), committed.plain(), row.period().wire(), limit.plain(), row.periodKey(), row.resetsAt());
    }
}
