package dev.tiergate.adapters.metrics;

import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * The fullest budget's utilisation as a CloudWatch metric ({@code BudgetUtilisationPercent}, Powertools' {@code Service}
 * dimension only): what the budget alarms (80% warning, 150% critical) follow.
 */
public final class EmfBudgetGauge {

    public static final String BUDGET_UTILISATION = "BudgetUtilisationPercent";

    private final Metrics metrics;
    private final String namespace;

    public EmfBudgetGauge(Metrics metrics, String namespace) {
        this.metrics = metrics;
        this.namespace = namespace;
    }

    /** @param fullest the largest share of a limit any budget has spent, 1.0 being all of it */
    public void publish(double fullest) {
        metrics.flushMetrics(m -> {
            m.setNamespace(namespace);
            m.addMetric(BUDGET_UTILISATION, fullest * 100, MetricUnit.PERCENT);
        });
    }
}
