package dev.tiergate.adapters.settlement;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.ports.SettlementQueue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Settlements written behind the answer, for a long-running gateway: {@link #submit} journals the settlement and
 * returns, and a few writer threads take it from a bounded queue, in batches, to the ledger and the usage table.
 * Nothing is lost or counted twice:
 * <ul>
 *   <li>the journal is appended before {@code submit} returns, so a killed process's settlements are replayed by the
 *       next one (and a write repeated by a replay counts once: every write is conditional on the request id);</li>
 *   <li>when the queue is full the caller writes its own settlement, so a slow store slows requests rather than
 *       dropping records;</li>
 *   <li>a failed write is retried with backoff; one that keeps failing stays in the journal for the next start;</li>
 *   <li>{@link #close} waits for the queue to drain before the process exits.</li>
 * </ul>
 */
public final class WriteBehindSettlements implements SettlementQueue, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WriteBehindSettlements.class.getName());
    /** Settlements per write: the ledger splits them into transactions of at most 100 items. */
    static final int BATCH = 48;
    private static final long HURRY_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int ATTEMPTS = 8;

    private final Consumer<List<Settlement>> writer;
    private final SettlementJournal journal;
    private final BlockingQueue<Queued> queue;
    /** Sequence numbers of the settlements accepted and not yet written or given up on: what {@link #awaitWritten} waits for. */
    private final ConcurrentSkipListSet<Long> unwritten = new ConcurrentSkipListSet<>();
    private final AtomicLong sequence = new AtomicLong();
    private final List<Thread> writers = new ArrayList<>();
    private final Duration drainTimeout;
    private final long lingerNanos;
    /** Set by a reader waiting for the writes: the writers stop lingering for fuller batches until the queue is empty. */
    private volatile boolean hurry;
    private volatile boolean closed;

    /**
     * @param writer       writes a batch of settlements, or throws (then each is retried)
     * @param journalDir   where the journal lives; journals left there by stopped processes are replayed now
     * @param writerThreads how many batches are written at once
     * @param capacity     settlements that may wait; beyond that the caller writes its own
     * @param linger       how long a settlement may wait for others to share its write
     */
    public WriteBehindSettlements(Consumer<List<Settlement>> writer, Path journalDir, int writerThreads, int capacity,
                                  Duration drainTimeout, Duration linger, ObjectMapper json) {
        this.writer = writer;
        this.lingerNanos = linger.toNanos();
        this.drainTimeout = drainTimeout;
        this.journal = new SettlementJournal(journalDir, json);
        List<Settlement> orphans = journal.adoptOrphans();
        this.queue = new ArrayBlockingQueue<>(Math.max(capacity, orphans.size() + 1));
        for (Settlement s : orphans) queue.add(accepted(s));
        for (int i = 0; i < writerThreads; i++) {
            Thread t = Thread.ofPlatform().daemon().name("settlement-writer-" + i).unstarted(this::drain);
            writers.add(t);
            t.start();
        }
    }

    @Override
    public void submit(Settlement settlement) {
        if (closed) {
            writer.accept(List.of(settlement)); // stopping: written before the answer, as in Lambda
            return;
        }
        try {
            journal.added(settlement);
        } catch (java.io.UncheckedIOException e) {
            // The journal cannot take it (a full or failed disk): this one is written before the answer instead.
            LOG.log(System.Logger.Level.ERROR, "cannot journal the settlement of request {0} ({1}); writing it now",
                    settlement.usage().requestId(), e.getMessage());
            writer.accept(List.of(settlement));
            return;
        }
        Queued q = accepted(settlement);
        // A request reserved by itself under an in-flight cap stays counted in flight until this is written: no lingering.
        if (freesInFlight(settlement)) hurry = true;
        if (!queue.offer(q)) {
            // Full: the store is slower than the traffic, so this request waits for its own write.
            List<Settlement> one = List.of(settlement);
            if (write(one)) journal.done(one);
            unwritten.remove(q.seq());
        }
    }

    private static boolean freesInFlight(Settlement s) {
        dev.tiergate.core.budget.Reservation r = switch (s) {
            case Settlement.Settle x -> x.reservation();
            case Settlement.Release x -> x.reservation();
            case Settlement.RecordOnly x -> null;
        };
        return r != null && r.recorded() && r.rateRows().stream().anyMatch(rr -> rr.limits().maxConcurrent().isPresent());
    }

    private record Queued(long seq, Settlement settlement) {}

    private Queued accepted(Settlement s) {
        Queued q = new Queued(sequence.incrementAndGet(), s);
        unwritten.add(q.seq());
        return q;
    }

    @Override
    public boolean anyUnwritten() {
        return !unwritten.isEmpty();
    }

    /** Waits (up to the drain timeout) until everything submitted before this call is written or given up on. */
    @Override
    public void awaitWritten() {
        long upTo = sequence.get();
        long until = System.nanoTime() + drainTimeout.toNanos();
        hurry = true;
        while (anyUpTo(unwritten, upTo) && System.nanoTime() < until) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Whether a settlement numbered {@code upTo} or lower is still unwritten. One look at the set (ceiling), not
     * isEmpty then first: a writer may take the last one between two calls, and first() on an empty set throws.
     */
    static boolean anyUpTo(java.util.NavigableSet<Long> unwritten, long upTo) {
        Long oldest = unwritten.ceiling(Long.MIN_VALUE);
        return oldest != null && oldest <= upTo;
    }

    /** Settlements accepted and not yet written (queued, being written, or kept for the next start). */
    public long pending() {
        return journal.pending();
    }

    public Path journalFile() {
        return journal.file();
    }

    private void drain() {
        List<Queued> queued = new ArrayList<>(BATCH);
        List<Settlement> batch = new ArrayList<>(BATCH);
        while (true) {
            Queued first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (closed) return;
                continue;
            }
            queued.clear();
            queued.add(first);
            queue.drainTo(queued, BATCH - 1);
            // Wait a moment for a fuller batch: the rows every request of a caller shares (its key's, team's and the
            // organisation's) are then written once per batch rather than once per request, which is most of what a
            // request costs in write units. Nothing waits on it: the answer has gone, and reads of spend wait for it.
            long lingerUntil = System.nanoTime() + lingerNanos;
            while (queued.size() < BATCH && !closed && !hurry) {
                long left = lingerUntil - System.nanoTime();
                if (left <= 0) break;
                try {
                    // Asleep in short slices, then whatever came meanwhile: a poll here was woken by every settlement
                    // offered, a context switch per request at a thousand a second. A slice is short enough for a
                    // reader's hurry to be seen within a few milliseconds.
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, HURRY_CHECK_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                queue.drainTo(queued, BATCH - queued.size());
            }
            batch.clear();
            for (Queued q : queued) batch.add(q.settlement());
            List<Settlement> written = new ArrayList<>(batch.size());
            if (write(batch)) {
                written.addAll(batch);
            } else {
                // Find the one that fails: each alone, so the others are not held back by it.
                for (Settlement s : batch) if (write(List.of(s))) written.add(s);
            }
            journal.done(written);
            for (Queued q : queued) unwritten.remove(q.seq());
            if (queue.isEmpty()) hurry = false;
            if (Thread.currentThread().isInterrupted()) return;
        }
    }

    /** True once written; false after every attempt failed (the settlement then stays in the journal). */
    private boolean write(List<Settlement> batch) {
        long backoffMs = 50;
        for (int attempt = 1; ; attempt++) {
            try {
                writer.accept(batch);
                return true;
            } catch (RuntimeException e) {
                if (attempt >= (batch.size() > 1 ? 2 : ATTEMPTS)) {
                    if (batch.size() == 1) {
                        LOG.log(System.Logger.Level.ERROR, "the settlement of request {0} could not be written after {1} attempts ({2}); "
                                + "it stays in {3} and is replayed at the next start", batch.getFirst().usage().requestId(), attempt,
                                e.toString(), journal.file());
                    }
                    return false;
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                backoffMs = Math.min(5_000, backoffMs * 2);
            }
        }
    }

    /** Stops taking work in the background, writes what is queued (up to the drain timeout), then closes the journal. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        long until = System.nanoTime() + drainTimeout.toNanos();
        for (Thread t : writers) {
            try {
                long left = until - System.nanoTime();
                if (left > 0) t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Thread t : writers) t.interrupt();
        for (Thread t : writers) {
            try {
                t.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        journal.close();
    }
}
