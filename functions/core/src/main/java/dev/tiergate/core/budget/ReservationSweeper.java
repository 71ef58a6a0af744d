package dev.tiergate.core.budget;

import java.time.Clock;

/**
 * Gives back the money of requests that died without settling (a killed process, a Lambda timeout) once their
 * deadline has passed, and the leases of gateway instances that died holding them, so a dead request or instance
 * never turns into phantom "budget exceeded" errors. A scheduled function in
 * AWS; a background task of the local stack.
 */
public final class ReservationSweeper {

    private static final System.Logger LOG = System.getLogger(ReservationSweeper.class.getName());

    private final BudgetLedger ledger;
    private final Clock clock;

    public ReservationSweeper(BudgetLedger ledger, Clock clock) {
        this.ledger = ledger;
        this.clock = clock;
    }

    /** One pass; returns how many reservations and leases it released. */
    public int sweepOnce() {
        int released = ledger.reclaimExpiredLeases(clock.instant());
        for (Reservation r : ledger.expired(clock.instant(), 1000)) {
            if (ledger.releaseStale(r)) {
                released++;
                if (r.journaled().isPresent()) {
                    LOG.log(System.Logger.Level.WARNING, "charged the journaled ${0} ({1} tokens) of request {2}, which passed its deadline {3} "
                            + "unsettled, and released the rest of its ${4}", r.journaled().get().cost().plain(),
                            r.journaled().get().tokens().totalTokens(), r.requestId(), r.deadline(), r.amount().plain());
                } else {
                    LOG.log(System.Logger.Level.WARNING, "released the reservation of request {0} (${1}), which passed its deadline {2} unsettled",
                            r.requestId(), r.amount().plain(), r.deadline());
                }
            }
        }
        return released;
    }
}
