package dev.tiergate.adapters.fleet;

import dev.tiergate.core.ports.FleetRegistry;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The deployed fleet: each EC2 tier's instances as the fleet monitor last found them ({@code tier#<name>} in the
 * fleet table), so dispatch picks an instance itself (prefix affinity, its own breaker, ejection) instead of leaving
 * the choice to the load balancer. Read in the background every few seconds, never on the request path. When the
 * monitor's list is older than {@code staleAfter} or empty, the tier falls back to its load balancer, which still
 * reaches whatever is healthy.
 */
public final class DiscoveredFleetRegistry implements FleetRegistry {

    static final String TIER_PREFIX = "tier#";
    private static final System.Logger LOG = System.getLogger(DiscoveredFleetRegistry.class.getName());

    private final FleetRegistry fallback;
    private final DynamoDbClient ddb;
    private final String table;
    private final Clock clock;
    private final Duration readEvery;
    private final Duration staleAfter;
    private final Optional<TargetHealthDiscovery> discovery;
    private final AtomicReference<Map<String, Members>> snapshot = new AtomicReference<>(Map.of());
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile long readAt = Long.MIN_VALUE / 2;

    private record Members(List<URI> urls, long discoveredAtMs) {}

    /**
     * @param fallback  the load balancers (and any endpoints or SageMaker addresses), for tiers not discovered
     * @param discovery present where this process is the one that looks (the fleet monitor)
     */
    public DiscoveredFleetRegistry(FleetRegistry fallback, DynamoDbClient ddb, String fleetTable, Clock clock,
                                   Duration readEvery, Duration staleAfter, Optional<TargetHealthDiscovery> discovery) {
        this.fallback = fallback;
        this.ddb = ddb;
        this.table = fleetTable;
        this.clock = clock;
        this.readEvery = readEvery;
        this.staleAfter = staleAfter;
        this.discovery = discovery;
    }

    @Override
    public List<URI> replicas(String tier) {
        long now = clock.millis();
        if (now - readAt > readEvery.toMillis() && reading.compareAndSet(false, true)) {
            Thread.ofVirtual().name("fleet-members-read").start(this::read);
        }
        Members m = snapshot.get().get(tier);
        if (m != null && !m.urls().isEmpty() && now - m.discoveredAtMs() <= staleAfter.toMillis()) return m.urls();
        return fallback.replicas(tier);
    }

    @Override
    public Map<String, List<URI>> all() {
        Map<String, List<URI>> out = new LinkedHashMap<>();
        for (String tier : fallback.all().keySet()) out.put(tier, replicas(tier));
        return out;
    }

    /** The monitor's run: discover (where this process does), then read what is stored. */
    @Override
    public void refresh() {
        discovery.ifPresent(TargetHealthDiscovery::refresh);
        reading.set(true);
        read();
    }

    private void read() {
        try {
            List<Map<String, AttributeValue>> keys = fallback.all().keySet().stream()
                    .map(t -> Map.of("replica", AttributeValue.fromS(TIER_PREFIX + t))).toList();
            Map<String, Members> m = new HashMap<>();
            if (!keys.isEmpty()) {
                var res = ddb.batchGetItem(b -> b.requestItems(Map.of(table, KeysAndAttributes.builder().keys(keys).build())));
                for (Map<String, AttributeValue> item : res.responses().getOrDefault(table, List.of())) {
                    String tier = item.get("replica").s().substring(TIER_PREFIX.length());
                    List<URI> urls = item.getOrDefault("members", AttributeValue.fromL(List.of())).l().stream()
                            .map(v -> URI.create(v.s())).toList();
                    m.put(tier, new Members(urls, Long.parseLong(item.get("discovered_at_ms").n())));
                }
            }
            snapshot.set(Map.copyOf(m));
            readAt = clock.millis();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read the fleet's members: " + e.getMessage());
        } finally {
            reading.set(false);
        }
    }
}
