package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.time.Instant;
import java.util.List;

/**
 * Money held for one request before it is dispatched: its worst-case cost on every row it counts in, until it is
 * settled with the actual cost, released, or swept after its deadline.
 */
public record Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline, List<RateRow> rateRows,
                          java.util.Optional<dev.tiergate.core.usage.UsageRecord> journaled) {
    public Reservation {
        rows = List.copyOf(rows);
        rateRows = List.copyOf(rateRows);
        java.util.Objects.requireNonNull(journaled);
    }

    public Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline, List<RateRow> rateRows) {
        this(requestId, amount, rows, deadline, rateRows, java.util.Optional.empty());
    }

    public Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline) {
        this(requestId, amount, rows, deadline, List.of());
    }

    public Reservation withAmount(Usd newAmount) {
        return new Reservation(requestId, newAmount, rows, deadline, rateRows, journaled);
    }
}
