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

    public BreakerBoard(GatewaySettings.BreakerSettings s) {
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
        return registry.circuitBreaker("replica " + replica);
    }

    public CircuitBreaker tier(String tier) {
        return registry.circuitBreaker("tier " + tier);
    }

    /** Whether the replica is worth trying now (closed, or half-open with probes to spare). */
    public boolean mayTry(URI replica) {
        return replica(replica).getState() != CircuitBreaker.State.OPEN;
    }
}
