package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.UsageRecord;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Money held for one request before it is dispatched: its worst-case cost on every row it counts in, until it is
 * settled with the actual cost, released, or swept after its deadline.
 *
 * @param rows        the rows that carry a limit: only those are written
 * @param leaseHolder the gateway instance whose leases hold it in memory ({@link BudgetEscrow}); empty when it was
 *                    reserved in the ledger by itself, as one record of its own
 */
public record Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline, List<RateRow> rateRows,
                          Optional<UsageRecord> journaled, Optional<String> leaseHolder) {
    public Reservation {
        rows = List.copyOf(rows);
        rateRows = List.copyOf(rateRows);
        Objects.requireNonNull(journaled);
        Objects.requireNonNull(leaseHolder);
    }

    public Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline, List<RateRow> rateRows,
                       Optional<UsageRecord> journaled) {
        this(requestId, amount, rows, deadline, rateRows, journaled, Optional.empty());
    }

    public Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline, List<RateRow> rateRows) {
        this(requestId, amount, rows, deadline, rateRows, Optional.empty());
    }

    public Reservation(String requestId, Usd amount, List<LedgerRow> rows, Instant deadline) {
        this(requestId, amount, rows, deadline, List.of());
    }

    public Reservation withAmount(Usd newAmount) {
        return new Reservation(requestId, newAmount, rows, deadline, rateRows, journaled, leaseHolder);
    }

    /** The same hold, kept on {@code holder}'s leases rather than as a record in the ledger. */
    public Reservation onLeasesOf(String holder) {
        return new Reservation(requestId, amount, rows, deadline, rateRows, journaled, Optional.of(holder));
    }

    /** True when the ledger keeps a record of this reservation (one reserved by itself, with rows to hold it on). */
    public boolean recorded() {
        return leaseHolder.isEmpty() && (!rows.isEmpty() || !rateRows.isEmpty());
    }
}
