package dev.tiergate.sim;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated engine's scheduler and clock: at most {@code max_num_seqs} requests run at once and the rest wait in
 * arrival order, as vLLM's scheduler queues rather than refuses. Time to first token is the queue wait plus a prefill
 * cost per uncached prompt token; each output token then costs the inter-token latency. Every duration is multiplied
 * by the time scale (0 = instant).
 */
public final class Engine {

    private final ReplicaSettings settings;
    private final Semaphore slots;
    private final AtomicLong running = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();
    private final AtomicLong runningBlocks = new AtomicLong();
    /** Requests admitted or waiting to be, and the most there ever were at once. */
    private final AtomicLong inEngine = new AtomicLong();
    private final AtomicLong mostAtOnce = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public Engine(ReplicaSettings settings) {
        this.settings = settings;
        this.slots = new Semaphore(settings.maxNumSeqs(), true);
    }

    public long running() { return running.get(); }

    public long waiting() { return waiting.get(); }

    /** The most requests this engine held at once, running or waiting, since it started. */
    public long mostAtOnce() { return mostAtOnce.get(); }

    /** Fraction of KV-cache blocks held by running requests, 0 to 1. */
    public double kvCacheUsage() {
        return Math.min(1.0, runningBlocks.get() / (double) settings.kvCacheBlocks());
    }

    /** A request holding a running slot; close it when the answer is done. */
    public final class Slot implements AutoCloseable {
        private final long blocks;
        private final long queuedNanos;
        private boolean closed;

        private Slot(long blocks, long queuedNanos) {
            this.blocks = blocks;
            this.queuedNanos = queuedNanos;
        }

        public double queueSeconds() { return queuedNanos / 1e9; }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            running.decrementAndGet();
            runningBlocks.addAndGet(-blocks);
            inEngine.decrementAndGet();
            slots.release();
        }
    }

    /** Waits for a running slot (counted as waiting meanwhile). */
    public Slot admit(int promptTokens, int maxOutputTokens) throws InterruptedException {
        long start = System.nanoTime();
        mostAtOnce.accumulateAndGet(inEngine.incrementAndGet(), Math::max);
        waiting.incrementAndGet();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            inEngine.decrementAndGet();
            throw e;
        } finally {
            waiting.decrementAndGet();
        }
        running.incrementAndGet();
        long blocks = (promptTokens + maxOutputTokens + settings.blockSize() - 1) / settings.blockSize();
        runningBlocks.addAndGet(blocks);
        return new Slot(blocks, System.nanoTime() - start);
    }

    public void prefill(int uncachedTokens) throws InterruptedException {
        sleepMicros(settings.prefillMicrosPerToken() * uncachedTokens);
    }

    public void decode(int tokens) throws InterruptedException {
        sleepMicros(settings.interTokenMicros() * tokens);
    }

    /** Simulated seconds one output token takes (for the ITL histogram). */
    public double interTokenSeconds() {
        return settings.interTokenMicros() * settings.timeScale() / 1e6;
    }

    /** Blocks until the replica stops or the time passes; a hung request uses this. */
    public void hang(long millis) throws InterruptedException {
        stopped.await(millis, TimeUnit.MILLISECONDS);
    }

    public void stop() {
        stopped.countDown();
    }

    private void sleepMicros(long micros) throws InterruptedException {
        long scaledNanos = (long) (micros * 1000 * settings.timeScale());
        if (scaledNanos <= 0) return;
        if (stopped.await(scaledNanos, TimeUnit.NANOSECONDS)) throw new InterruptedException("replica stopped");
    }
}
