package dev.tiergate.core.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code GET /health} answers: whether the request path can still reach its store. A gateway whose threads are
 * wedged (a lock never released, a store that stopped answering) must say so, or a load balancer keeps sending it
 * traffic that only times out. So health is one real read of the store every request starts with, under a deadline.
 *
 * <p>One probe runs at a time and a result is reused for {@code fresh}: {@code /health} needs no key, and a flood of
 * it must not become a flood of reads. A probe still running past its deadline keeps the answer unhealthy until it
 * returns.
 */
public final class Liveness {

    /** Healthy, or why not. */
    public sealed interface Status permits Status.Up, Status.Down {
        record Up() implements Status {}

        record Down(String reason) implements Status {}
    }

    private final Runnable probe;
    private final Clock clock;
    private final Duration deadline;
    private final Duration fresh;
    private Status last = new Status.Down("not checked yet");
    private Instant lastAt = Instant.MIN;
    private CompletableFuture<Void> running;
    private Instant runningSince;

    /**
     * @param probe    one read of the store on the request path; it fails by throwing
     * @param deadline how long a probe may take before the gateway counts as wedged
     * @param fresh    how long a result is reused
     */
    public Liveness(Runnable probe, Clock clock, Duration deadline, Duration fresh) {
        this.probe = probe;
        this.clock = clock;
        this.deadline = deadline;
        this.fresh = fresh;
    }

    public Status check() {
        CompletableFuture<Void> probing;
        Instant since;
        synchronized (this) {
            Instant now = clock.instant();
            if (running == null && lastAt.plus(fresh).isAfter(now)) return last;
            if (running == null) {
                CompletableFuture<Void> p = new CompletableFuture<>();
                running = p;
                runningSince = now;
                // A platform thread of its own: the probe must not wait for the threads it is checking on.
                Thread.ofPlatform().daemon(true).name("tiergate-liveness").start(() -> {
                    try {
                        probe.run();
                        p.complete(null);
                    } catch (RuntimeException | Error e) {
                        p.completeExceptionally(e);
                    }
                });
            }
            probing = running;
            since = runningSince;
        }
        long waitMs = deadline.minus(Duration.between(since, clock.instant())).toMillis();
        Status status;
        try {
            probing.get(Math.max(0, waitMs), TimeUnit.MILLISECONDS);
            status = new Status.Up();
        } catch (TimeoutException slow) {
            return new Status.Down("the store on the request path has not answered for "
                    + Duration.between(since, clock.instant()).toMillis() + " ms");
        } catch (ExecutionException failed) {
            status = new Status.Down("the store on the request path failed: " + Optional.ofNullable(failed.getCause())
                    .map(Throwable::getMessage).orElse("unknown error"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Status.Down("interrupted while checking");
        }
        synchronized (this) {
            if (running == probing) {
                running = null;
                last = status;
                lastAt = clock.instant();
            }
        }
        return status;
    }
}
