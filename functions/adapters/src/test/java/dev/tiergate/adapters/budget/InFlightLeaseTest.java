package dev.tiergate.adapters.budget;

import dev.tiergate.core.budget.BudgetEscrow;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.RateLimits;
import dev.tiergate.core.budget.RateRow;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.fixtures.InMemoryBudgetLedger;
import dev.tiergate.fixtures.InMemoryUsageLog;
import dev.tiergate.fixtures.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In-flight caps ({@code max_concurrent}) on leases of slots, against the in-memory ledger, which keeps DynamoDB's
 * rule: requests reserved by themselves plus slots leased never pass the cap.
 */
class InFlightLeaseTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final BudgetEscrow.Settings SETTINGS = BudgetEscrow.Settings.forLongestHold(Duration.ofSeconds(30));
    private static final String OWNER = "team#t";

    private final ManualClock clock = new ManualClock(T0);
    private final InMemoryUsageLog usage = new InMemoryUsageLog();
    private final InMemoryBudgetLedger ledger = new InMemoryBudgetLedger(usage, clock);
    private int ids;

    private Reservation request(int cap) {
        RateRow rate = new RateRow(OWNER, "minute#2026-12-07T10:00", new RateLimits(Optional.empty(), Optional.empty(), Optional.of(cap)), 100);
        return new Reservation("r" + ids++, Usd.of("0.001"), List.of(), clock.instant().plusSeconds(30), List.of(rate));
    }

    private UsageRecord usageOf(Reservation r) {
        return new UsageRecord(r.requestId(), clock.instant(), "k", "org", "t", "u", "small", "m", new TokenUsage(10, 10, 0), r.amount(), 1, 200,
                Outcome.OK, false, UsageSource.UPSTREAM, "");
    }

    /** A request that ran: held on a lease or reserved by itself, or empty when the cap refused it. */
    private record Running(Reservation held, Optional<BudgetEscrow> on) {}

    private Optional<Running> start(BudgetEscrow escrow, int cap) {
        Reservation r = request(cap);
        Optional<Reservation> leased = escrow.hold(r);
        if (leased.isPresent()) return Optional.of(new Running(leased.get(), Optional.of(escrow)));
        return switch (ledger.reserve(r)) {
            case BudgetLedger.Held h -> Optional.of(new Running(h.reservation(), Optional.empty()));
            case BudgetLedger.Throttled t -> Optional.empty();
            case BudgetLedger.Refused refused -> throw new AssertionError("no budget row to refuse it");
        };
    }

    /** The answer is done (the slot is free at once), then its settlement is written. */
    private void end(Running r) {
        r.on().ifPresent(e -> e.answered(r.held()));
        ledger.settle(r.held(), usageOf(r.held()));
        r.on().ifPresent(e -> e.finished(r.held(), r.held().amount()));
    }

    @Test
    void aClientAtASteadyConcurrencyReusesItsLeasedSlotsWithoutAWritePerRequest() {
        BudgetEscrow escrow = new BudgetEscrow(ledger, clock, SETTINGS, "a");
        int requests = 0;
        for (int round = 0; round < 1000; round++) {
            List<Running> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Running r = start(escrow, 20).orElseThrow();
                assertThat(r.on()).as("held on the lease").isPresent();
                batch.add(r);
                requests++;
            }
            batch.forEach(this::end);
            clock.advance(Duration.ofMillis(20));
            if (round % 25 == 24) escrow.maintain();
        }
        // Three at once, about three slots leased: a handful of grants, then a renewal every ten seconds.
        assertThat(ledger.leaseWrites()).isLessThan(requests / 100);
        assertThat(escrow.slotsLeased().get(OWNER)).isBetween(3, 4);
        assertThat(ledger.inFlightCounted(OWNER)).isEqualTo(escrow.slotsLeased().get(OWNER));
        assertThat(usage.all()).hasSize(requests);
    }

    @Test
    void threeInstancesNeverRunMoreThanTheCapAndIdleSlotsGoBack() {
        List<BudgetEscrow> instances = List.of(new BudgetEscrow(ledger, clock, SETTINGS, "a"), new BudgetEscrow(ledger, clock, SETTINGS, "b"),
                new BudgetEscrow(ledger, clock, SETTINGS, "c"));
        int cap = 12;
        // Ten minutes in 10 ms steps: 7 requests a second at random instances, answers of 2 s on average, so about 14
        // would run at once against a cap of 12: the cap is reached often and held for long stretches.
        Random random = new Random(7);
        record Timed(Running r, Instant ends) {}
        List<Timed> running = new ArrayList<>();
        int served = 0;
        int refused = 0;
        int refusedBelowCap = 0;
        for (int step = 0; step < 60_000; step++) {
            Instant now = clock.instant();
            for (var it = running.iterator(); it.hasNext(); ) {
                Timed t = it.next();
                if (t.ends().isAfter(now)) continue;
                it.remove();
                end(t.r());
            }
            if (random.nextDouble() < 0.07) {
                Optional<Running> r = start(instances.get(random.nextInt(3)), cap);
                if (r.isPresent()) {
                    running.add(new Timed(r.get(), now.plusMillis((long) (-2000 * Math.log(1 - random.nextDouble())))));
                    served++;
                } else {
                    refused++;
                    if (running.size() < cap) refusedBelowCap++;
                }
            }
            // What runs is never more than the cap, and neither is what the ledger counts (running plus leased).
            assertThat(running.size()).isLessThanOrEqualTo(cap);
            assertThat(ledger.inFlightCounted(OWNER)).isLessThanOrEqualTo(cap);
            clock.advance(Duration.ofMillis(10));
            if (step % 50 == 49) instances.forEach(BudgetEscrow::maintain);
        }
        running.forEach(t -> end(t.r()));
        assertThat(served).isGreaterThan(3_000);
        assertThat(refused).isPositive();
        // A refusal while fewer than the cap run is a slot another instance kept from when the row was quiet: rare
        // (43 of 1,092 refusals here, each with 11 of 12 running), not the rule.
        assertThat(refusedBelowCap).as("of %d refusals", refused).isLessThan(served / 50);
        clock.advance(SETTINGS.idleAfter().plusSeconds(3));
        instances.forEach(BudgetEscrow::maintain);
        clock.advance(Duration.ofSeconds(3));
        instances.forEach(BudgetEscrow::maintain);
        assertThat(ledger.inFlightCounted(OWNER)).isZero();
        instances.forEach(e -> assertThat(e.slotsLeased()).isEmpty());
    }

    @Test
    void aCapTooSmallToShareIsCountedRequestByRequest() {
        BudgetEscrow escrow = new BudgetEscrow(ledger, clock, SETTINGS, "a");
        assertThat(escrow.hold(request(3))).isEmpty();
        Running first = start(escrow, 3).orElseThrow();
        assertThat(first.on()).isEmpty();
        assertThat(ledger.inFlightCounted(OWNER)).isEqualTo(1);
        end(first);
        assertThat(ledger.inFlightCounted(OWNER)).isZero();
    }

    @Test
    void withoutSlotLeasesEveryCappedRequestReservesByItself() {
        BudgetEscrow lambda = new BudgetEscrow(ledger, clock, SETTINGS.withoutSlotLeases(), "a");
        assertThat(lambda.hold(request(50))).isEmpty();
        assertThat(ledger.leaseWrites()).isZero();
    }

    @Test
    void theSlotIsFreeAsSoonAsTheAnswerIsDoneBeforeTheSettlementIsWritten() {
        BudgetEscrow escrow = new BudgetEscrow(ledger, clock, SETTINGS, "a");
        // Four at once fill the lease this instance took for them.
        List<Reservation> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) held.add(escrow.hold(request(20)).orElseThrow());
        int writes = ledger.leaseWrites();
        Reservation done = held.getFirst();
        escrow.answered(done);
        // Its settlement is not written yet; the next request takes the freed slot, with no write.
        assertThat(escrow.hold(request(20))).isPresent();
        assertThat(ledger.leaseWrites()).isEqualTo(writes);
        // The settlement, when it comes, frees nothing twice.
        ledger.settle(done, usageOf(done));
        escrow.finished(done, done.amount());
        assertThat(escrow.hold(request(20))).isPresent();
        assertThat(ledger.inFlightCounted(OWNER)).isEqualTo(escrow.slotsLeased().get(OWNER)).isLessThanOrEqualTo(5);
    }

    @Test
    void aSlotLentToARequestThatNeverEndsIsFreedAtItsDeadline() {
        BudgetEscrow escrow = new BudgetEscrow(ledger, clock, SETTINGS, "a");
        escrow.hold(request(20)).orElseThrow(); // never answered nor settled
        clock.advance(Duration.ofSeconds(31));
        escrow.maintain();
        clock.advance(SETTINGS.idleAfter().plusSeconds(3));
        escrow.maintain();
        clock.advance(Duration.ofSeconds(3));
        escrow.maintain();
        assertThat(escrow.slotsLeased()).isEmpty();
        assertThat(ledger.inFlightCounted(OWNER)).isZero();
    }

    @Test
    void aDeadInstancesSlotsComeBackAfterTheLeaseDeadline() {
        BudgetEscrow dead = new BudgetEscrow(ledger, clock, SETTINGS, "dead");
        for (int i = 0; i < 4; i++) dead.hold(request(20)).orElseThrow(); // it dies with these running
        assertThat(ledger.inFlightCounted(OWNER)).isEqualTo(4);

        clock.advance(SETTINGS.leaseTtl().minusSeconds(1));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isZero();
        assertThat(ledger.inFlightCounted(OWNER)).isEqualTo(4);
        clock.advance(Duration.ofSeconds(2));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isEqualTo(1);
        assertThat(ledger.inFlightCounted(OWNER)).isZero();
    }
}
