package dev.tiergate.core.fleet;

import java.util.List;

/** Where the monitor's measurements go: CloudWatch (the autoscaling signal) and Prometheus. */
public interface FleetGauges {
    void publish(List<ReplicaStatus> replicas);
}
