package dev.tiergate.core.dispatch;

import dev.tiergate.core.config.GatewaySettings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import java.net.URI;
import java.time.Duration;

/**
 * The circuit breakers of dispatch (Resilience4j): one per replica, so a dead replica stops receiving traffic, and one
 * per tier, so a dead tier fails fast to its fallback. Failure rate and slow-call rate over a sliding window of calls;
 * open for a while, then a few half-open probes decide.
 */
public final class BreakerBoard {

    private final CircuitBreakerRegistry registry;
    private final dev.tiergate.core.ports.ReplicaHealth shared;
    private final long openMs;
    private final java.time.Clock clock;

    public BreakerBoard(GatewaySettings.BreakerSettings s) {
        this(s, dev.tiergate.core.ports.ReplicaHealth.LOCAL_ONLY, java.time.Clock.systemUTC());
    }

    /**
     * @param shared where a replica's ejection is told to the other instances when its breaker opens, and lifted
     *               when it closes
     */
    public BreakerBoard(GatewaySettings.BreakerSettings s, dev.tiergate.core.ports.ReplicaHealth shared, java.time.Clock clock) {
        this.clock = clock;
        this.shared = shared;
        this.openMs = s.openMs();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(s.windowSize())
                .minimumNumberOfCalls(s.minimumCalls())
                .failureRateThreshold(s.failureRatePercent())
                .slowCallDurationThreshold(Duration.ofMillis(s.slowCallMs()))
                .slowCallRateThreshold(s.slowCallRatePercent())
                .waitDurationInOpenState(Duration.ofMillis(s.openMs()))
                .permittedNumberOfCallsInHalfOpenState(2)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
        this.registry = CircuitBreakerRegistry.of(config);
    }

    public CircuitBreaker replica(URI replica) {
        String name = "replica " + replica;
        return registry.find(name).orElseGet(() -> {
            CircuitBreaker cb = registry.circuitBreaker(name);
            cb.getEventPublisher().onStateTransition(e -> {
                switch (e.getStateTransition().getToState()) {
                    case OPEN, FORCED_OPEN -> shared.eject(replica, clock.instant().plusMillis(openMs), "circuit breaker opened");
                    case CLOSED -> shared.restore(replica);
                    default -> { }
                }
            });
            return cb;
        });
    }

    public CircuitBreaker tier(String tier) {
        return registry.circuitBreaker("tier " + tier);
    }

    /**
     * Whether the replica is worth trying now: its breaker here is not open, and no other instance has ejected it
     * (a replica this instance is probing half-open is tried whatever the others said).
     */
    public boolean mayTry(URI replica) {
        CircuitBreaker.State state = replica(replica).getState();
        if (state == CircuitBreaker.State.OPEN) return false;
        return state == CircuitBreaker.State.HALF_OPEN || !shared.ejected(replica);
    }
}
