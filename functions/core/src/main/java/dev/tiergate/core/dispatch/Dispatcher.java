package dev.tiergate.core.dispatch;

import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.ports.Upstream;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sends a request to a tier within the request's deadline: the replica from the {@link ReplicaSelector}, each call
 * behind that replica's circuit breaker, the whole request behind the tier's (which counts requests the tier failed,
 * not attempts, so a dead replica among healthy ones does not open it), and retries (exponential backoff with full jitter, or the
 * upstream's Retry-After) only for what can succeed on retry: connection refused or reset, no status line in time,
 * 408, 429, 502, 503 and 504. A 4xx is the request's own fault and goes back as it is; other 5xx fail the tier.
 */
public final class Dispatcher {

    private final Upstream upstream;
    private final ReplicaSelector selector;
    private final BreakerBoard breakers;
    private final GatewaySettings settings;
    private final Clock clock;

    public Dispatcher(Upstream upstream, ReplicaSelector selector, BreakerBoard breakers, GatewaySettings settings, Clock clock) {
        this.upstream = upstream;
        this.selector = selector;
        this.breakers = breakers;
        this.settings = settings;
        this.clock = clock;
    }

    public BreakerBoard breakers() {
        return breakers;
    }

    /** Records that a stream opened on this replica broke before its end (its breaker counts a failure). */
    public void reportBroken(URI replica, Duration took) {
        breakers.replica(replica).onError(took.toNanos(), TimeUnit.NANOSECONDS, new java.io.IOException("stream broke"));
    }

    /**
     * @param avoid replicas not to use (one whose stream just broke)
     */
    public Attempted send(TierConfig tier, String path, byte[] body, long affinity, Instant deadline, boolean stream, Set<URI> avoid) {
        Set<URI> tried = new HashSet<>(avoid);
        CircuitBreaker tierBreaker = breakers.tier(tier.name());
        if (!tierBreaker.tryAcquirePermission()) return new Attempted.Failed(503, "tier '" + tier.name() + "' is failing (circuit open)");
        long tierStarted = System.nanoTime();
        Attempted result = attempts(tier, path, body, affinity, deadline, stream, avoid, tried);
        long took = System.nanoTime() - tierStarted;
        if (result instanceof Attempted.Failed f) tierBreaker.onError(took, TimeUnit.NANOSECONDS, new java.io.IOException(f.reason()));
        else tierBreaker.onSuccess(took, TimeUnit.NANOSECONDS);
        return result;
    }

    private Attempted attempts(TierConfig tier, String path, byte[] body, long affinity, Instant deadline, boolean stream,
                               Set<URI> avoid, Set<URI> tried) {
        int attempts = 0;
        int lastStatus = 502;
        String lastReason = "no attempt was made";
        int guard = 0;
        while (attempts < settings.maxAttempts() && guard++ < settings.maxAttempts() * 4) {
            Instant now = clock.instant();
            if (!now.isBefore(deadline)) return new Attempted.Failed(504, "the deadline passed (" + lastReason + ")");
            Optional<URI> picked = selector.pick(tier.name(), affinity, tried);
            if (picked.isEmpty() && !tried.equals(avoid)) picked = selector.pick(tier.name(), affinity, avoid);
            if (picked.isEmpty()) {
                return new Attempted.Failed(503, attempts == 0 ? "no replica of tier '" + tier.name() + "' is available" : lastReason,
                        attempts == 0);
            }
            URI replica = picked.get();
            CircuitBreaker rb = breakers.replica(replica);
            if (!rb.tryAcquirePermission()) {
                tried.add(replica);
                continue;
            }
            attempts++;
            Instant attemptDeadline = min(deadline, now.plusMillis(settings.firstByteTimeoutMs()));
            long started = System.nanoTime();
            ReplicaSelector.Lease lease = selector.acquire(replica);
            boolean keepLease = false;
            long retryAfter = -1;
            try {
                int status;
                byte[] errorBody;
                URI url = replica.resolve(path);
                if (stream) {
                    // The attempt's deadline bounds the wait for the status line; the request's bounds the stream.
                    Upstream.Stream s = upstream.openStream(url, body, attemptDeadline, deadline);
                    status = s.status();
                    if (status == 200) {
                        success(rb, started);
                        keepLease = true;
                        return new Attempted.Opened(s, replica, attempts, lease);
                    }
                    errorBody = s.errorBody();
                    retryAfter = s.retryAfterMs();
                    s.close();
                } else {
                    Upstream.Reply reply = upstream.send(url, body, attemptDeadline);
                    status = reply.status();
                    if (status == 200) {
                        success(rb, started);
                        return new Attempted.Answered(reply, replica, attempts);
                    }
                    errorBody = reply.body();
                    retryAfter = reply.retryAfterMs();
                }
                if (status >= 400 && status < 500 && status != 408 && status != 429) {
                    // The request's own fault: the replica is healthy.
                    success(rb, started);
                    return new Attempted.Rejected(status, errorBody);
                }
                failure(rb, started, "HTTP " + status);
                lastStatus = status == 429 ? 503 : 502;
                lastReason = "replica " + replica.getRawAuthority() + " answered HTTP " + status;
                if (!(status == 408 || status == 429 || status == 502 || status == 503 || status == 504)) {
                    return new Attempted.Failed(502, lastReason);
                }
            } catch (Upstream.UpstreamException e) {
                failure(rb, started, e.getMessage());
                lastStatus = e.kind() == Upstream.UpstreamException.Kind.TIMEOUT ? 504 : 502;
                lastReason = e.getMessage();
            } finally {
                if (!keepLease) lease.close();
            }
            tried.add(replica);
            if (attempts < settings.maxAttempts()) sleep(backoff(attempts, retryAfter), deadline);
        }
        return new Attempted.Failed(lastStatus, lastReason);
    }

    /** Full jitter: a random wait from 0 to min(max, base × 2^attempt); the upstream's Retry-After wins when given. */
    long backoff(int attempt, long retryAfterMs) {
        if (retryAfterMs >= 0) return retryAfterMs;
        long cap = Math.min(settings.backoffMaxMs(), settings.backoffBaseMs() << Math.min(attempt, 20));
        return cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1);
    }

    private void sleep(long ms, Instant deadline) {
        long left = Duration.between(clock.instant(), deadline).toMillis();
        long wait = Math.min(ms, Math.max(0, left - 1));
        if (wait <= 0) return;
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void success(CircuitBreaker replica, long started) {
        replica.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    private static void failure(CircuitBreaker replica, long started, String why) {
        replica.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, new java.io.IOException(why));
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
