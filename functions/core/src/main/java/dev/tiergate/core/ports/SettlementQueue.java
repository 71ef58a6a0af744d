package dev.tiergate.core.ports;

import dev.tiergate.core.budget.Settlement;

/**
 * Where a finished request's settlement goes to be written. In Lambda it is written before the invocation returns
 * (the environment may freeze right after); a long-running server writes it behind the answer, from a journal, so the
 * client never waits for the ledger.
 */
@FunctionalInterface
public interface SettlementQueue {

    void submit(Settlement settlement);

    /**
     * Returns once every settlement submitted before the call is written (or kept for a retry after failing). Reads of
     * spend call it first, so a client that reads its usage right after a request sees that request.
     */
    default void awaitWritten() {
    }

    /** Whether some settlement submitted here is not written yet (its request may still count in flight). */
    default boolean anyUnwritten() {
        return false;
    }
}
