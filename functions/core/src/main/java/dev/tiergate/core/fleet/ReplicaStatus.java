package dev.tiergate.core.fleet;

import java.net.URI;

/**
 * What the fleet monitor found of one replica.
 *
 * @param healthy         {@code /health} answered 200 and {@code /v1/models} lists the tier's model
 * @param requestsWaiting {@code vllm:num_requests_waiting}, summed over engines: the autoscaling signal
 * @param kvCacheUsage    {@code vllm:kv_cache_usage_perc}, 0 to 1, the fullest engine
 * @param reason          why it is unhealthy; empty when healthy
 */
public record ReplicaStatus(String tier, URI replica, boolean healthy, double requestsWaiting, double requestsRunning,
                            double kvCacheUsage, String reason) {
}
