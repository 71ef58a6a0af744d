package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;

/**
 * Leases on the rows that carry a limit: a slice of a row's room that one gateway instance holds and spends from in
 * memory ({@link BudgetEscrow}). A row keeps {@code committed = spent + reserved + leased}, and every write that
 * takes room is conditional on {@code committed <= limit}, so no mix of instances, crashes or retries can overspend.
 * An instance's spend moves from its lease to {@code spent} in the same write as the usage records that account for
 * it ({@link BudgetLedger#finishAll}).
 */
public interface LeaseLedger {

    /**
     * A row as the last lease write left it: what it holds against its limit, in the row's unit (dollars on a budget
     * row, requests on an in-flight row), and how many instances hold a live lease on it.
     */
    record RowView(BigDecimal committed, int holders) {}

    sealed interface LeaseChange permits Changed, NoRoom, Lost {}

    record Changed(RowView row) implements LeaseChange {}

    /** Taking that much more would pass the row's limit: nothing changed. */
    record NoRoom(RowView row) implements LeaseChange {}

    /** The holder's lease is no longer on the row (reclaimed after its deadline): nothing changed. */
    record Lost() implements LeaseChange {}

    /**
     * Changes {@code holder}'s lease on the row by {@code delta} and sets its deadline to {@code until}, in one
     * conditional write: a positive delta only while the row's limit still fits it; with {@code existing}, only while
     * the lease is still there (a renewal or a return must not resurrect a reclaimed lease).
     */
    LeaseChange changeLease(LedgerRow row, String holder, Usd delta, Instant until, boolean existing);

    /**
     * Ends {@code holder}'s lease on the row, giving back {@code amount}, if that is exactly what it still holds (so
     * no spend in flight is cut short); the row then keeps no trace of the holder. False when it holds something else.
     */
    boolean endLease(LedgerRow row, String holder, Usd amount);

    /** A minute's rate-limit row as the last write left it: requests and tokens counted so far. */
    record Counted(long requests, long tokens) {}

    /**
     * Takes {@code requests} requests and {@code tokens} tokens of a rate row's minute for one instance to hand out in
     * memory, in one conditional write that fails when either would pass its limit; the row then shows what it has
     * counted. Nothing is given back: the minute ends, and what an instance did not use of it lapses with it.
     *
     * @return what the row counts after the write, or empty when the limits refused it (nothing changed)
     */
    Optional<Counted> takeAllowance(RateRow row, int requests, long tokens);

    /**
     * Changes {@code holder}'s lease of in-flight slots on a rate row by {@code delta} slots and sets its deadline to
     * {@code until}, in one conditional write. The row's in-flight count holds every request reserved by itself and
     * every slot leased, and a positive delta is taken only while that count stays within {@code max_concurrent};
     * {@code existing} as for {@link #changeLease}.
     */
    LeaseChange changeSlots(RateRow row, String holder, int delta, Instant until, boolean existing);

    /** Ends {@code holder}'s lease of in-flight slots, giving back {@code slots}, if that is exactly what it holds. */
    boolean endSlots(RateRow row, String holder, int slots);

    /** Takes back every lease (of money or of slots) whose deadline has passed, so its room returns to the row; returns how many. */
    int reclaimExpiredLeases(Instant now);
}
