package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

/** Why the budget refused a request; nothing was held. The gateway says it to the client in OpenAI's error shape. */
public sealed interface BudgetRefusal {

    /** The row's limit would be passed by the request's worst case (on every tier tried, when the policy downgrades). */
    record OverLimit(LedgerRow row, boolean triedDowngrade) implements BudgetRefusal {}

    /** The request's worst case is over a scope's per-request limit. */
    record OverRequestLimit(ScopeRef owner, Usd worstCase, Usd limit) implements BudgetRefusal {}

    /** A rate limit would be passed; worth retrying after {@code retryAfterSeconds}. */
    record RateLimited(RateRow row, RateLimitKind kind, long retryAfterSeconds) implements BudgetRefusal {}
}
