package dev.tiergate.adapters.fleet;

import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.fleet.SageMakerEndpoint;
import dev.tiergate.core.ports.FleetRegistry;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fleet known at start-up: each tier's configured endpoint, or the replica URLs it was given (the local simulators,
 * or a fleet's load balancer). The DynamoDB-backed registry the fleet monitor keeps will replace it in AWS.
 */
public final class StaticFleetRegistry implements FleetRegistry {

    private final Map<String, List<URI>> replicas;

    public StaticFleetRegistry(Map<String, List<URI>> replicas) {
        Map<String, List<URI>> copy = new LinkedHashMap<>();
        replicas.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.replicas = java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * Endpoints from the config, plus replica URLs for the tiers that have none (fleets and simulators); a SageMaker
     * tier given none is its endpoint's {@code sagemaker://} address.
     */
    public static StaticFleetRegistry of(TiergateConfig config, Map<String, List<URI>> fleetReplicas) {
        Map<String, List<URI>> m = new LinkedHashMap<>();
        for (TierConfig t : config.tiers()) {
            if (t.endpoint().isPresent()) m.put(t.name(), List.of(t.endpoint().get()));
            else m.put(t.name(), fleetReplicas.getOrDefault(t.name(),
                    SageMakerEndpoint.of(config, t).map(e -> List.of(e.address())).orElse(List.of())));
        }
        return new StaticFleetRegistry(m);
    }

    /**
     * Parses the replica list format of {@code TIERGATE_REPLICAS} and {@code serve --replicas}:
     * {@code small=http://a:8000,http://b:8000;large=http://c:8000}.
     */
    public static Map<String, List<URI>> parse(String spec) {
        Map<String, List<URI>> out = new LinkedHashMap<>();
        for (String tier : spec.split(";")) {
            if (tier.isBlank()) continue;
            int eq = tier.indexOf('=');
            if (eq < 1) throw new IllegalArgumentException("replica lists look like tier=url[,url];tier=url, got '" + tier + "'");
            List<URI> urls = new java.util.ArrayList<>();
            for (String u : tier.substring(eq + 1).split(",")) {
                if (u.isBlank()) continue;
                URI url = URI.create(u.trim());
                SageMakerEndpoint.at(url); // a malformed endpoint name is refused here, at start, not per request
                urls.add(url);
            }
            out.put(tier.substring(0, eq).trim(), List.copyOf(urls));
        }
        return out;
    }

    @Override
    public List<URI> replicas(String tier) {
        return replicas.getOrDefault(tier, List.of());
    }

    @Override
    public Map<String, List<URI>> all() {
        return replicas;
    }
}
