package dev.tiergate.core.observability;

import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;

import dev.tiergate.core.budget.BudgetAction;
import dev.tiergate.core.usage.Outcome;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How one chat request ended, as operators see it: the usage record's facts plus what only the request path knows
 * (time to first token, cache, budget action, routing score). Built once per request, whatever path it took.
 *
 * @param tier          the tier that answered (or was routed to, when none answered); empty before routing
 * @param ttftMs        time to the first token for a stream, the whole latency otherwise
 * @param budgetAction  what the budget did with it
 * @param content       the prompt and answer, redacted, only for a team that opted in
 */
public record RequestOutcome(String requestId, Instant timestamp, String keyId, String team, String tier, String model,
                             int status, Outcome outcome, boolean stream, long latencyMs, long ttftMs, TokenUsage tokens,
                             Usd cost, boolean cacheHit, Optional<String> fallbackFrom, BudgetAction budgetAction,
                             OptionalDouble routingScore, Optional<Content> content) {

    public RequestOutcome {
        Objects.requireNonNull(requestId);
        Objects.requireNonNull(timestamp);
        Objects.requireNonNull(tokens);
        Objects.requireNonNull(cost);
        Objects.requireNonNull(fallbackFrom);
        Objects.requireNonNull(routingScore);
        Objects.requireNonNull(content);
    }

    /** An error is anything the client did not get a 2xx for, or a stream that broke after it started. */
    public boolean error() {
        return status >= 400 || outcome.failed();
    }

    /** Prompt and answer after redaction. */
    public record Content(String prompt, String answer) {
    }
}
