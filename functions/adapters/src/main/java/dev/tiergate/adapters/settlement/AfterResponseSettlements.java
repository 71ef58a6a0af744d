package dev.tiergate.adapters.settlement;

import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.ports.SettlementQueue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Settlements written once the answer has gone, within the same invocation: Lambda returns the response to the client
 * as soon as the runtime posts it, while an internal extension that has not yet asked for its next event keeps the
 * invocation open to write what the handler left here ({@code LambdaAfterResponse}). The environment freezes only
 * after that, so nothing is held across invocations: a settlement is written before its environment can be frozen,
 * reused or shut down, as inline writing guarantees, but no longer in front of the client.
 */
public final class AfterResponseSettlements implements SettlementQueue {

    private static final System.Logger LOG = System.getLogger(AfterResponseSettlements.class.getName());

    private final Consumer<List<Settlement>> writer;
    private final List<Settlement> pending = new ArrayList<>();
    private long handled;
    private volatile boolean inline;

    public AfterResponseSettlements(Consumer<List<Settlement>> writer) {
        this.writer = writer;
    }

    @Override
    public void submit(Settlement settlement) {
        if (inline) {
            writer.accept(List.of(settlement));
            return;
        }
        synchronized (this) {
            pending.add(settlement);
        }
    }

    /** No extension to write after the response (its registration failed): each settlement is written as it comes. */
    public void makeInline() {
        inline = true;
        writePending();
    }

    /** A read of spend in the same invocation sees what this invocation settled: written now. */
    @Override
    public void awaitWritten() {
        writePending();
    }

    @Override
    public boolean anyUnwritten() {
        return pending() > 0;
    }

    /** The handler of one more invocation has returned its response (or failed). */
    public synchronized void handlerReturned() {
        handled++;
        notifyAll();
    }

    /**
     * Waits until the handlers of {@code invocations} invocations have returned (up to {@code within}), then writes
     * what they left. False when the wait ran out: what was left is written all the same.
     */
    public boolean writeAfter(long invocations, Duration within) {
        boolean returned = awaitHandled(invocations, within);
        writePending();
        return returned;
    }

    private synchronized boolean awaitHandled(long invocations, Duration within) {
        long until = System.nanoTime() + within.toNanos();
        while (handled < invocations) {
            long left = until - System.nanoTime();
            if (left <= 0) return false;
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Writes every pending settlement as one batch; a failed batch is retried one by one, and what still fails is logged. */
    public void writePending() {
        List<Settlement> batch;
        synchronized (this) {
            if (pending.isEmpty()) return;
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        try {
            writer.accept(batch);
        } catch (RuntimeException e) {
            for (Settlement s : batch) {
                try {
                    writer.accept(List.of(s));
                } catch (RuntimeException again) {
                    LOG.log(System.Logger.Level.ERROR, "could not write the settlement of request {0}: {1}", s.usage().requestId(), again.toString());
                }
            }
        }
    }

    public synchronized int pending() {
        return pending.size();
    }
}
