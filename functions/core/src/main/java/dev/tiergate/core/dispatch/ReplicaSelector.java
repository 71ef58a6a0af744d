package dev.tiergate.core.dispatch;

import dev.tiergate.core.ports.FleetRegistry;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the replica of a tier: prefix affinity, bounded by load. Requests whose prompts begin alike hash to the same
 * point of a consistent-hash ring, so they land where vLLM's prefix cache already holds that beginning; walking on from
 * that point, the first replica carrying less than (1 + ε) × its fair share of the load takes it, so a popular prefix
 * cannot overload one replica ("consistent hashing with bounded loads"). Load is the requests in flight plus those sent
 * in the last two seconds: in-flight alone is near zero when answers are fast, and would let a popular prefix's replica
 * take far more than its share. Replicas whose breaker is open
 * are skipped. With a single URL (a fleet's load balancer) there is nothing to choose.
 */
public final class ReplicaSelector {

    private static final int VIRTUAL_NODES = 64;
    /** How far above the mean load a replica may go: 25%. */
    private static final double EPSILON = 0.25;

    private final FleetRegistry fleet;
    private final BreakerBoard breakers;
    private final Map<URI, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<URI, RecentCount> recent = new ConcurrentHashMap<>();
    private final Map<List<URI>, TreeMap<Long, URI>> rings = new ConcurrentHashMap<>();

    private final boolean prefixAffinity;
    private final AtomicInteger turn = new AtomicInteger();

    public ReplicaSelector(FleetRegistry fleet, BreakerBoard breakers) {
        this(fleet, breakers, true);
    }

    /** @param prefixAffinity false picks replicas in turn (round-robin), the baseline prefix affinity is measured against */
    public ReplicaSelector(FleetRegistry fleet, BreakerBoard breakers, boolean prefixAffinity) {
        this.fleet = fleet;
        this.breakers = breakers;
        this.prefixAffinity = prefixAffinity;
    }

    /** A request's place on the ring: the hash of its leading prompt text (what the prefix cache would share). */
    public static long affinity(String promptText) {
        String head = promptText.length() > 1024 ? promptText.substring(0, 1024) : promptText;
        long h = 0xcbf29ce484222325L;
        for (byte b : head.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** The replica for this request, avoiding {@code avoid}; empty when none is worth trying. */
    public Optional<URI> pick(String tier, long affinity, Set<URI> avoid) {
        List<URI> all = fleet.replicas(tier);
        List<URI> candidates = new ArrayList<>();
        for (URI u : all) if (!avoid.contains(u) && breakers.mayTry(u)) candidates.add(u);
        if (candidates.isEmpty()) return Optional.empty();
        if (candidates.size() == 1) return Optional.of(candidates.getFirst());
        if (!prefixAffinity) return Optional.of(candidates.get(Math.floorMod(turn.getAndIncrement(), candidates.size())));
        // One ring per set of candidates; discovered fleets change their members, so old sets are let go.
        if (rings.size() > 256) rings.clear();
        TreeMap<Long, URI> ring = rings.computeIfAbsent(List.copyOf(candidates), ReplicaSelector::ring);
        long total = 0;
        for (URI u : candidates) total += load(u);
        long cap = (long) Math.ceil((1 + EPSILON) * (total + 1) / candidates.size());
        Map.Entry<Long, URI> e = ring.ceilingEntry(affinity);
        for (int i = 0; i < ring.size(); i++) {
            if (e == null) e = ring.firstEntry();
            if (load(e.getValue()) < cap) return Optional.of(e.getValue());
            e = ring.higherEntry(e.getKey());
        }
        return Optional.of(candidates.getFirst());
    }

    /** Counts a request against the replica until the returned lease is closed. */
    public Lease acquire(URI replica) {
        AtomicInteger n = inFlight.computeIfAbsent(replica, k -> new AtomicInteger());
        n.incrementAndGet();
        recent.computeIfAbsent(replica, k -> new RecentCount()).add(System.nanoTime());
        return new Lease(n);
    }

    public int load(URI replica) {
        AtomicInteger n = inFlight.get(replica);
        RecentCount r = recent.get(replica);
        return (n == null ? 0 : n.get()) + (r == null ? 0 : r.count(System.nanoTime()));
    }

    /** Requests sent to a replica in the current and the previous one-second window. */
    private static final class RecentCount {
        private long window;
        private int current;
        private int previous;

        synchronized void add(long now) {
            roll(now);
            current++;
        }

        synchronized int count(long now) {
            roll(now);
            return current + previous;
        }

        private void roll(long now) {
            long w = now / 1_000_000_000L;
            if (w == window) return;
            previous = w == window + 1 ? current : 0;
            current = 0;
            window = w;
        }
    }

    /** One in-flight request on a replica; closing it twice is harmless. */
    public static final class Lease implements AutoCloseable {
        private final AtomicInteger counter;
        private boolean closed;

        private Lease(AtomicInteger counter) {
            this.counter = counter;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                counter.decrementAndGet();
            }
        }
    }

    private static TreeMap<Long, URI> ring(List<URI> replicas) {
        TreeMap<Long, URI> ring = new TreeMap<>();
        for (URI u : replicas) {
            for (int v = 0; v < VIRTUAL_NODES; v++) ring.put(mix(u.toString().hashCode() * 31L + v * 0x9E3779B97F4A7C15L), u);
        }
        return ring;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

}
