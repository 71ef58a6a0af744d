package dev.tiergate.core.budget;

import dev.tiergate.core.usage.UsageRecord;

/**
 * What a finished request leaves to be written: its usage record, and what becomes of the money held for it. Each is
 * written exactly once, because the usage record's write is conditional on the request id and the ledger change
 * travels in the same transaction.
 */
public sealed interface Settlement {

    UsageRecord usage();

    /** Tokens were produced: the hold is replaced by the actual cost. */
    record Settle(Reservation reservation, UsageRecord usage) implements Settlement {}

    /** Nothing was produced: the hold is given back. */
    record Release(Reservation reservation, UsageRecord usage) implements Settlement {}

    /** Nothing was held (a cache hit): only the usage record. */
    record RecordOnly(UsageRecord usage) implements Settlement {}

    /** Settle when the request used tokens, release when it did not. */
    static Settlement of(Reservation reservation, UsageRecord usage) {
        return usage.tokens().totalTokens() > 0 ? new Settle(reservation, usage) : new Release(reservation, usage);
    }
}
