package dev.tiergate.adapters.metrics;

import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.RequestOutcome;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * One CloudWatch Embedded Metric Format document per request, written by Powertools to stdout, where Lambda's log
 * pipeline turns it into metrics. Dimensions are only tier and model (a few dozen series in all); team, key id, request
 * id and outcome ride along as searchable properties, not dimensions, so they cost nothing per series.
 */
public final class EmfRequestMetrics implements RequestObserver {

    private final Metrics metrics;
    private final String namespace;

    public EmfRequestMetrics(Metrics metrics, String namespace) {
        this.metrics = metrics;
        this.namespace = namespace;
    }

    @Override
    public void observe(RequestOutcome o) {
        metrics.flushMetrics(m -> {
            m.setNamespace(namespace);
            m.setTimestamp(o.timestamp());
            m.addDimension(DimensionSet.of("tier", o.tier(), "model", o.model()));
            m.addMetric("Requests", 1, MetricUnit.COUNT);
            m.addMetric("Errors", o.error() ? 1 : 0, MetricUnit.COUNT);
            m.addMetric("BudgetRejected", o.budgetAction() == dev.tiergate.core.budget.BudgetAction.REJECT ? 1 : 0, MetricUnit.COUNT);
            m.addMetric("BudgetDowngraded", o.budgetAction() == dev.tiergate.core.budget.BudgetAction.DOWNGRADE ? 1 : 0, MetricUnit.COUNT);
            m.addMetric("CacheHit", o.cacheHit() ? 1 : 0, MetricUnit.COUNT);
            m.addMetric("Fallback", o.fallbackFrom().isPresent() ? 1 : 0, MetricUnit.COUNT);
            if (o.outcome() != dev.tiergate.core.usage.Outcome.BUDGET_REJECTED) {
                m.addMetric("Latency", o.latencyMs(), MetricUnit.MILLISECONDS);
                m.addMetric("TimeToFirstToken", o.ttftMs(), MetricUnit.MILLISECONDS);
                m.addMetric("PromptTokens", o.tokens().promptTokens(), MetricUnit.COUNT);
                m.addMetric("CompletionTokens", o.tokens().completionTokens(), MetricUnit.COUNT);
                m.addMetric("CachedTokens", o.tokens().cachedTokens(), MetricUnit.COUNT);
                m.addMetric("CostUsd", o.cost().amount().doubleValue(), MetricUnit.NONE);
            }
            o.routingScore().ifPresent(s -> m.addMetric("RoutingScore", s, MetricUnit.NONE));
            m.addMetadata("requestId", o.requestId());
            m.addMetadata("keyId", o.keyId());
            m.addMetadata("team", o.team());
            m.addMetadata("outcome", o.outcome().wire());
            m.addMetadata("status", o.status());
            m.addMetadata("budgetAction", o.budgetAction().wire());
            o.fallbackFrom().ifPresent(f -> m.addMetadata("fallbackFrom", f));
        });
        // The tier the request wanted (the routed one, whoever answered), alone as the dimension: what scales a fleet
        // from zero, where no instance publishes a queue depth.
        metrics.flushMetrics(m -> {
            m.setNamespace(namespace);
            m.setTimestamp(o.timestamp());
            m.addDimension(DimensionSet.of("tier", o.fallbackFrom().orElse(o.tier())));
            m.addMetric(dev.tiergate.core.observability.FleetSignals.TIER_DEMAND, 1, MetricUnit.COUNT);
        });
    }

    /** The cold-start metric, once per execution environment (Powertools reads the Lambda initialisation type). */
    public void coldStart() {
        metrics.flushMetrics(m -> {
            m.setNamespace(namespace);
            m.captureColdStartMetric();
        });
    }
}
