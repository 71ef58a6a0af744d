package dev.tiergate.core.config;

import java.util.Optional;

/**
 * Limits and resilience of the request path.
 *
 * @param maxBodyBytes       larger request bodies get 413
 * @param requestTimeoutMs   the overall deadline of one request, split across its attempts; below API Gateway's 29 s
 * @param firstByteTimeoutMs one attempt's limit from sending to the upstream's status line; a slower replica is
 *                           given up on and the next one tried
 * @param maxAttempts        attempts per tier before its fallback is tried
 * @param backoffBaseMs      retries wait a random time from 0 to min(max, base × 2^attempt) ("full jitter")
 * @param maxMessages        larger message arrays get 400
 * @param maxN               the largest {@code n} (choices) a request may ask for
 * @param degradedMessage    the polite answer a {@code degraded} fallback gives when every tier failed
 * @param breaker            the circuit breakers kept per replica and per tier
 * @param cacheTtlSeconds    how long deterministic answers are kept for exact repeats; 0 turns the cache off (a team
 *                           may set its own)
 * @param prefixAffinity     pick replicas by prompt prefix bounded by load (true), or in turn (false)
 * @param keyCacheSeconds    how long an instance remembers a key look-up; a revocation reaches every instance within
 *                           this time (0 reads DynamoDB on every request)
 * @param streamJournalMs    how often a stream's tokens so far are written beside its hold, so that a gateway that
 *                           dies mid-stream has them charged by the sweeper; at most this long of a stream goes unpaid
 */
public record GatewaySettings(int maxBodyBytes, long requestTimeoutMs, long firstByteTimeoutMs, int maxAttempts,
                              long backoffBaseMs, long backoffMaxMs, int maxMessages, int maxN,
                              Optional<String> degradedMessage, BreakerSettings breaker, long cacheTtlSeconds,
                              boolean prefixAffinity, int keyCacheSeconds, long streamJournalMs) {

    public static final GatewaySettings DEFAULT = new GatewaySettings(1_048_576, 25_000, 10_000, 3, 50, 1_000, 2048, 8,
            Optional.empty(), BreakerSettings.DEFAULT, 0, true, 2, 5_000);

    /**
     * @param failureRatePercent  the share of failed calls in the window that opens the breaker
     * @param slowCallMs          a call slower than this counts as slow
     * @param slowCallRatePercent the share of slow calls that opens the breaker
     * @param windowSize          the calls the rates are computed over
     * @param minimumCalls        no decision before this many calls
     * @param openMs              how long an open breaker refuses before letting probes through
     */
    public record BreakerSettings(int failureRatePercent, long slowCallMs, int slowCallRatePercent, int windowSize,
                                  int minimumCalls, long openMs) {
        public static final BreakerSettings DEFAULT = new BreakerSettings(50, 20_000, 80, 20, 5, 5_000);
    }
}
