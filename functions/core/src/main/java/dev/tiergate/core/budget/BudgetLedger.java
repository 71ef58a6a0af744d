package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.UsageRecord;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The money of the scopes that carry a limit: what each has spent and holds, per period. Every change is one atomic
 * write, and the usage record of a request is written in the same write as its settlement, so a row always equals
 * the sum of its usage records. Holds are either per request ({@link #reserve}, one record each) or on a gateway
 * instance's leases ({@link LeaseLedger}, {@link BudgetEscrow}).
 */
public interface BudgetLedger extends LeaseLedger {

    /** The outcome of trying to hold money for a request. */
    sealed interface Hold permits Held, Refused, Throttled {}

    record Held(Reservation reservation) implements Hold {}

    /** The reservation would pass this row's limit; nothing was held anywhere. */
    record Refused(LedgerRow row) implements Hold {}

    /** A rate limit would be passed; nothing was held. */
    record Throttled(RateRow row, RateLimitKind kind) implements Hold {}

    /** Holds the reservation's amount on all its rows at once, or on none. */
    Hold reserve(Reservation reservation);

    /**
     * Holds {@code extra} more for a reservation, on all its rows or none (a fallback to a pricier tier); the limits'
     * conditions apply as for a new reservation.
     */
    Hold extend(Reservation reservation, Usd extra);

    /**
     * Replaces the reservation by the actual cost and writes the usage record, in one write. A reservation already
     * released by the sweeper (a request that outlived its deadline) is charged all the same: tokens produced are paid.
     */
    void settle(Reservation reservation, UsageRecord usage);

    /** Gives the reservation back (the request failed before producing anything) and writes its usage record. */
    void release(Reservation reservation, UsageRecord usage);

    /**
     * Settles or releases several requests; each counts exactly as {@link #settle} or {@link #release} would. A store
     * may merge them into fewer writes: requests of one caller share rows, and one write per batch rather than per
     * request keeps those hot rows free for reservations.
     */
    default void finishAll(List<Settlement> settlements) {
        for (Settlement s : settlements) {
            switch (s) {
                case Settlement.Settle x -> settle(x.reservation(), x.usage());
                case Settlement.Release x -> release(x.reservation(), x.usage());
                case Settlement.RecordOnly x -> throw new IllegalArgumentException("a usage record alone is not a ledger change");
            }
        }
    }

    /**
     * Keeps what a streaming request has produced so far with its hold ({@code soFar} is its usage record as if it
     * ended now), so that if its process dies the sweeper charges those tokens instead of giving the hold back.
     * Nothing is written once the request is settled.
     */
    void journal(Reservation reservation, UsageRecord soFar);

    /** Reservations whose deadline has passed: requests that died without settling, with what they journaled. */
    List<Reservation> expired(Instant now, int max);

    /**
     * Ends an expired reservation if it is still held: charges what it journaled and writes that usage record, or
     * gives the hold back when it journaled nothing. False if it was settled or released meanwhile.
     */
    boolean releaseStale(Reservation reservation);

    /** The scope's rows for the periods containing {@code at}. */
    List<PeriodState> state(ScopeRef owner, Instant at, BudgetCalendar calendar, Optional<BudgetPolicy> policy);

    /** What the row has spent and holds for requests one by one (leases, room not yet used, left out). */
    Usd committed(LedgerRow row);

    /**
     * Starts a limited row that was never written with what the period's usage records already show: only rows with
     * a limit are kept, so a budget set mid-period begins from the usage records. Nothing changes on a row that exists.
     */
    void seed(LedgerRow row, Usd spentSoFar);

    /** Marks that the scope's warning for this row was sent; true only for the first caller. */
    boolean markWarned(LedgerRow row);
}
