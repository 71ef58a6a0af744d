package dev.tiergate.core.fleet;

import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.ports.ReplicaHealth;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The scheduled fleet check (every minute): probe every replica of every fleet tier, eject the unhealthy ones from
 * dispatch for every gateway instance (through the shared {@link ReplicaHealth}), restore the ones that recovered,
 * and publish queue depth, running requests and KV-cache use. Tiers served by an external endpoint are not probed:
 * their health is the dispatcher's breakers' business, as is a SageMaker endpoint's.
 */
public final class FleetMonitor {

    private final TiergateConfig config;
    private final FleetRegistry fleet;
    private final ReplicaProbe probe;
    private final ReplicaHealth health;
    private final List<FleetGauges> gauges;
    private final Clock clock;
    private final Duration ejectFor;

    /** @param ejectFor how long an unhealthy replica stays out; a little over the schedule, so the next run decides */
    public FleetMonitor(TiergateConfig config, FleetRegistry fleet, ReplicaProbe probe, ReplicaHealth health,
                        List<FleetGauges> gauges, Clock clock, Duration ejectFor) {
        this.config = config;
        this.fleet = fleet;
        this.probe = probe;
        this.health = health;
        this.gauges = List.copyOf(gauges);
        this.clock = clock;
        this.ejectFor = ejectFor;
    }

    public List<ReplicaStatus> check() {
        List<ReplicaStatus> out = new ArrayList<>();
        // Probe the replicas that serve now: behind a load balancer, its healthy targets of this minute.
        fleet.refresh();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ReplicaStatus>> pending = new ArrayList<>();
            for (TierConfig t : config.tiers()) {
                if (t.endpoint().isPresent()) continue;
                for (URI r : fleet.replicas(t.name())) {
                    // SageMaker watches its own instances (its /ping checks); an endpoint has no vLLM routes to probe.
                    if (SageMakerEndpoint.at(r).isPresent()) continue;
                    pending.add(pool.submit(() -> probe.probe(t.name(), t.model(), r)));
                }
            }
            for (Future<ReplicaStatus> f : pending) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("a probe failed unexpectedly", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return out;
                }
            }
        }
        health.refresh();
        for (ReplicaStatus s : out) {
            if (s.healthy()) {
                if (health.ejected(s.replica())) health.restore(s.replica());
            } else {
                health.eject(s.replica(), clock.instant().plus(ejectFor), "fleet monitor: " + s.reason());
            }
        }
        for (FleetGauges g : gauges) g.publish(out);
        return out;
    }
}
