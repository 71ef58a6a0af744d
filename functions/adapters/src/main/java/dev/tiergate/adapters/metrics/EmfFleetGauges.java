package dev.tiergate.adapters.metrics;

import dev.tiergate.core.fleet.FleetGauges;
import dev.tiergate.core.fleet.ReplicaStatus;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The fleet monitor's figures as CloudWatch metrics, one EMF document per tier (dimension {@code tier}):
 * {@code QueueDepthPerReplica} is what each tier's Auto Scaling target tracking follows; {@code HealthyReplicas} at 0
 * raises the critical alarm; {@code KvCacheUsage} (the fullest replica, percent) the warning one.
 */
public final class EmfFleetGauges implements FleetGauges {

    private final Metrics metrics;
    private final String namespace;

    public EmfFleetGauges(Metrics metrics, String namespace) {
        this.metrics = metrics;
        this.namespace = namespace;
    }

    @Override
    public void publish(List<ReplicaStatus> replicas) {
        Map<String, List<ReplicaStatus>> byTier = replicas.stream()
                .collect(Collectors.groupingBy(ReplicaStatus::tier, TreeMap::new, Collectors.toList()));
        byTier.forEach((tier, rs) -> metrics.flushMetrics(m -> {
            m.setNamespace(namespace);
            m.addDimension(DimensionSet.of("tier", tier));
            List<ReplicaStatus> healthy = rs.stream().filter(ReplicaStatus::healthy).toList();
            double waiting = healthy.stream().mapToDouble(ReplicaStatus::requestsWaiting).sum();
            m.addMetric("HealthyReplicas", healthy.size(), MetricUnit.COUNT);
            m.addMetric("QueueDepth", waiting, MetricUnit.COUNT);
            m.addMetric("QueueDepthPerReplica", healthy.isEmpty() ? waiting : waiting / healthy.size(), MetricUnit.COUNT);
            m.addMetric("RunningRequests", healthy.stream().mapToDouble(ReplicaStatus::requestsRunning).sum(), MetricUnit.COUNT);
            m.addMetric("KvCacheUsage", 100 * healthy.stream().mapToDouble(ReplicaStatus::kvCacheUsage).max().orElse(0), MetricUnit.PERCENT);
        }));
    }
}
