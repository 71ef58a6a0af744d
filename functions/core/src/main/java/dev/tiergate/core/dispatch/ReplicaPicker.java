package dev.tiergate.core.dispatch;

import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.protocol.OpenAiError;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Spreads a tier's requests over its replicas in turn. */
public final class ReplicaPicker {

    private final FleetRegistry fleet;
    private final Map<String, AtomicInteger> next = new ConcurrentHashMap<>();

    public ReplicaPicker(FleetRegistry fleet) {
        this.fleet = fleet;
    }

    public URI pick(String tier) {
        List<URI> replicas = fleet.replicas(tier);
        if (replicas.isEmpty()) {
            throw OpenAiError.upstream(503, "No replica of tier '" + tier + "' is available.").failure();
        }
        int i = Math.floorMod(next.computeIfAbsent(tier, t -> new AtomicInteger()).getAndIncrement(), replicas.size());
        return replicas.get(i);
    }
}
