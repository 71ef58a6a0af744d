package dev.tiergate.core.config;

/**
 * Whether each request leaves a usage record.
 *
 * @param record true (the default): every request's tokens, cost and outcome are written to the usage table, the source
 *               of truth for reports, {@code /admin/usage} and chargeback. false: a routing-only deployment that keeps
 *               no per-request spend in DynamoDB (the gateway then makes no DynamoDB write at all on the request path);
 *               allowed only with budgets off, since the budget ledger is reconciled against these records. Tokens and
 *               cost are still counted in the metrics.
 */
public record UsageSettings(boolean record) {
    public static final UsageSettings DEFAULT = new UsageSettings(true);
}
