package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

/** Where budget warnings go: SNS in AWS, a log line locally. One per scope and period. */
public interface BudgetAlerts {

    void warn(LedgerRow row, Usd committed, Usd limit);
}
