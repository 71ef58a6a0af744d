package dev.tiergate.adapters.metrics;

import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.observability.RequestOutcome;

import dev.tiergate.core.budget.BudgetAction;
import dev.tiergate.core.usage.Outcome;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalDouble;

/** Request outcomes for metric tests. */
final class Outcomes {
    private Outcomes() {
    }

    static RequestOutcome ok(String tier, long latencyMs, int prompt, int completion, String cost) {
        return new RequestOutcome("req-" + latencyMs, Instant.now(), "key_1", "ml", tier, tier + "-model", 200, Outcome.OK, false,
                latencyMs, latencyMs / 2, new TokenUsage(prompt, completion, 0), Usd.of(cost), false, Optional.empty(), BudgetAction.ALLOW,
                OptionalDouble.of(0.42), Optional.empty());
    }

    static RequestOutcome rejected(String tier) {
        return new RequestOutcome("req-rejected", Instant.now(), "key_1", "ml", tier, tier + "-model", 402, Outcome.BUDGET_REJECTED,
                false, 0, 0, TokenUsage.NONE, Usd.ZERO, false, Optional.empty(), BudgetAction.REJECT, OptionalDouble.empty(), Optional.empty());
    }
}
