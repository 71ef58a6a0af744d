package dev.tiergate.core.config;

import java.time.ZoneId;

/**
 * How budgets are enforced.
 *
 * @param timezone        hour, day and month periods follow this zone (UTC by default)
 * @param warnAt          a warning event when a scope reaches this share of a limit
 * @param defaultMaxTokens the output tokens reserved (and set upstream) when a client sends no max_tokens, so that the
 *                        reservation is a true upper bound
 * @param reservationGraceMs how long after a request's own deadline its reservation may still be held before the
 *                        sweeper releases it
 * @param cacheSeconds    how long budget definitions are cached in each instance (a change applies within this time)
 * @param enabled         false turns budgets, the ledger and rate limits off: no DynamoDB write before dispatch, the
 *                        usage record still written after unless {@link UsageSettings#record()} is false too (the
 *                        routing-only path)
 * @param leases          true: each instance holds requests on leases of the limited rows' room (no DynamoDB write
 *                        before dispatch); false: every request reserves in the ledger by itself
 */
public record BudgetSettings(ZoneId timezone, double warnAt, int defaultMaxTokens, long reservationGraceMs, int cacheSeconds,
                             boolean enabled, boolean leases) {
    public static final BudgetSettings DEFAULT = new BudgetSettings(ZoneId.of("UTC"), 0.8, 4096, 30_000, 5, true, true);

    public BudgetSettings(ZoneId timezone, double warnAt, int defaultMaxTokens, long reservationGraceMs, int cacheSeconds, boolean enabled) {
        this(timezone, warnAt, defaultMaxTokens, reservationGraceMs, cacheSeconds, enabled, true);
    }
}
