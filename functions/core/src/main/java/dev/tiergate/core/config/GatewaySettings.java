package dev.tiergate.core.config;

import java.util.Optional;

/**
 * Limits and resilience of the request path.
 *
 * @param maxBodyBytes       larger request bodies get 413
 * @param requestTimeoutMs   the overall deadline of one whole (not streamed) answer, split across its attempts; below API
 *                           Gateway's 29 s
 * @param streamTimeoutMs    the overall deadline of a streamed answer: API Gateway's response streaming allows 15
 *                           minutes, and a long answer from a large model takes minutes
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
 * @param semanticCache      every team's semantic cache unless the team sets its own (off by default)
 */
public record GatewaySettings(int maxBodyBytes, long requestTimeoutMs, long firstByteTimeoutMs, int maxAttempts,
                              long backoffBaseMs, long backoffMaxMs, int maxMessages, int maxN,
                              Optional<String> degradedMessage, BreakerSettings breaker, long cacheTtlSeconds,
                              boolean prefixAffinity, int keyCacheSeconds, long streamJournalMs, long streamTimeoutMs,
                              SemanticCacheSettings semanticCache) {

    /** A request's deadline: the stream's, or the whole answer's. */
    public long timeoutMs(boolean stream) {
        return stream ? streamTimeoutMs : requestTimeoutMs;
    }

    public static final int DEFAULT_MAX_BODY_BYTES = 1_048_576;
    /** Below API Gateway's 29 s integration timeout, with room for the answer to travel. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 25_000;
    public static final long DEFAULT_FIRST_BYTE_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final long DEFAULT_BACKOFF_BASE_MS = 50;
    public static final long DEFAULT_BACKOFF_MAX_MS = 1_000;
    public static final int DEFAULT_MAX_MESSAGES = 2048;
    public static final int DEFAULT_MAX_N = 8;
    public static final int DEFAULT_KEY_CACHE_SECONDS = 2;
    public static final long DEFAULT_STREAM_JOURNAL_MS = 5_000;
    public static final long DEFAULT_STREAM_TIMEOUT_MS = 300_000;
    /** API Gateway's limit for a streamed response (and Lambda's for an invocation). */
    public static final long MAX_STREAM_TIMEOUT_MS = 900_000;

    public static final GatewaySettings DEFAULT = builder().build();

    public static Builder builder() {
        return new Builder();
    }

    /** Settings from their defaults, each changed by name. */
    public static final class Builder {
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
        private long firstByteTimeoutMs = DEFAULT_FIRST_BYTE_TIMEOUT_MS;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private long backoffBaseMs = DEFAULT_BACKOFF_BASE_MS;
        private long backoffMaxMs = DEFAULT_BACKOFF_MAX_MS;
        private int maxMessages = DEFAULT_MAX_MESSAGES;
        private int maxN = DEFAULT_MAX_N;
        private Optional<String> degradedMessage = Optional.empty();
        private BreakerSettings breaker = BreakerSettings.DEFAULT;
        private long cacheTtlSeconds = 0;
        private boolean prefixAffinity = true;
        private int keyCacheSeconds = DEFAULT_KEY_CACHE_SECONDS;
        private long streamJournalMs = DEFAULT_STREAM_JOURNAL_MS;
        private long streamTimeoutMs = DEFAULT_STREAM_TIMEOUT_MS;
        private SemanticCacheSettings semanticCache = SemanticCacheSettings.OFF;

        private Builder() {
        }

        public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
        public Builder requestTimeoutMs(long v) { requestTimeoutMs = v; return this; }
        public Builder firstByteTimeoutMs(long v) { firstByteTimeoutMs = v; return this; }
        public Builder maxAttempts(int v) { maxAttempts = v; return this; }
        public Builder backoffBaseMs(long v) { backoffBaseMs = v; return this; }
        public Builder backoffMaxMs(long v) { backoffMaxMs = v; return this; }
        public Builder maxMessages(int v) { maxMessages = v; return this; }
        public Builder maxN(int v) { maxN = v; return this; }
        public Builder degradedMessage(Optional<String> v) { degradedMessage = v; return this; }
        public Builder breaker(BreakerSettings v) { breaker = v; return this; }
        public Builder cacheTtlSeconds(long v) { cacheTtlSeconds = v; return this; }
        public Builder prefixAffinity(boolean v) { prefixAffinity = v; return this; }
        public Builder keyCacheSeconds(int v) { keyCacheSeconds = v; return this; }
        public Builder streamJournalMs(long v) { streamJournalMs = v; return this; }
        public Builder streamTimeoutMs(long v) { streamTimeoutMs = v; return this; }
        public Builder semanticCache(SemanticCacheSettings v) { semanticCache = v; return this; }

        public GatewaySettings build() {
            return new GatewaySettings(maxBodyBytes, requestTimeoutMs, firstByteTimeoutMs, maxAttempts, backoffBaseMs, backoffMaxMs,
                    maxMessages, maxN, degradedMessage, breaker, cacheTtlSeconds, prefixAffinity, keyCacheSeconds, streamJournalMs,
                    Math.max(streamTimeoutMs, requestTimeoutMs), semanticCache);
        }
    }

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
