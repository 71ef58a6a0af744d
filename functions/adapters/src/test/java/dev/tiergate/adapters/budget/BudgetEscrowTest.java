package dev.tiergate.adapters.budget;

import dev.tiergate.core.budget.BudgetEscrow;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.fixtures.InMemoryBudgetLedger;
import dev.tiergate.fixtures.InMemoryUsageLog;
import dev.tiergate.fixtures.ManualClock;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Leases against the in-memory ledger, which keeps DynamoDB's rule: spent + reserved + leased never passes a limit. */
class BudgetEscrowTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final ScopeRef TEAM = new ScopeRef(Scope.TEAM, "t");
    private static final BudgetEscrow.Settings SETTINGS = BudgetEscrow.Settings.forLongestHold(Duration.ofSeconds(30));

    private final ManualClock clock = new ManualClock(T0);
    private final InMemoryUsageLog usage = new InMemoryUsageLog();
    private final InMemoryBudgetLedger ledger = new InMemoryBudgetLedger(usage, clock);
    private int ids;

    private static LedgerRow row(String limit) {
        return new LedgerRow(TEAM, Period.DAY, "day#2026-12-07", Optional.of(Usd.of(limit)), T0.plus(Duration.ofHours(14)));
    }

    private Reservation request(LedgerRow row, String amount) {
        return new Reservation("r" + ids++, Usd.of(amount), List.of(row), clock.instant().plusSeconds(30));
    }

    private UsageRecord usageOf(Reservation r, Usd cost) {
        return new UsageRecord(r.requestId(), clock.instant(), "k", "org", "t", "u", "small", "m", new TokenUsage(0, 100, 0), cost, 1, 200,
                Outcome.OK, false, dev.tiergate.core.usage.UsageSource.UPSTREAM, "");
    }

    /** Held on the escrow's lease, or reserved in the ledger by itself; empty when refused. */
    private Optional<Reservation> hold(BudgetEscrow escrow, Reservation r) {
        Optional<Reservation> leased = escrow.hold(r);
        if (leased.isPresent()) return leased;
        return ledger.reserve(r) instanceof BudgetLedger.Held h ? Optional.of(h.reservation()) : Optional.empty();
    }

    private void settle(BudgetEscrow escrow, Reservation held) {
        ledger.settle(held, usageOf(held, held.amount()));
        escrow.finished(held, held.amount());
    }

    private BudgetEscrow escrow(String name) {
        return new BudgetEscrow(ledger, clock, SETTINGS, name);
    }

    private BigDecimal usageTotal() {
        return usage.all().stream().map(u -> u.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    void afterABurstGrowsItsLeaseRequestsCostNoWriteBeforeDispatch() {
        BudgetEscrow escrow = escrow("a");
        LedgerRow row = row("1000");
        int requests = 5000;
        for (int i = 0; i < requests; i++) {
            Reservation held = escrow.hold(request(row, "0.01")).orElseThrow();
            assertThat(held.leaseHolder()).isPresent();
            settle(escrow, held);
            clock.advance(Duration.ofMillis(1));
            if (i % 500 == 499) escrow.maintain();
        }
        // Lease writes (grants, top-ups, renewals) per request: the first grants grow with the burst, then a top-up
        // every second or so.
        assertThat(ledger.leaseWrites()).isLessThan(requests / 50);
        assertThat(ledger.spent(TEAM, "day#2026-12-07").amount()).isEqualByComparingTo(usageTotal());
    }

    @Test
    void threeInstancesNeverHoldPastTheLimitAndServeWhatFits() {
        List<BudgetEscrow> instances = List.of(escrow("a"), escrow("b"), escrow("c"));
        LedgerRow row = row("0.05"); // 50 requests of $0.001
        List<Reservation> inFlight = new ArrayList<>();
        int served = 0;
        for (int i = 0; i < 200; i++) {
            BudgetEscrow e = instances.get(i % 3);
            Optional<Reservation> held = hold(e, request(row, "0.001"));
            if (held.isPresent()) {
                served++;
                inFlight.add(held.get());
            }
            // Ledger's view: never more committed than the limit, whatever is leased.
            assertThat(ledger.leasedTotal().plus(ledger.reservedTotal()).plus(ledger.spent(TEAM, row.periodKey())).amount())
                    .isLessThanOrEqualTo(new BigDecimal("0.05"));
            if (inFlight.size() >= 6) {
                Reservation done = inFlight.removeFirst();
                settle(instances.stream().filter(x -> done.leaseHolder().map(h -> h.startsWith(nameOf(x, instances))).orElse(false))
                        .findFirst().orElse(instances.getFirst()), done);
            }
            clock.advance(Duration.ofMillis(5));
            if (i % 20 == 19) instances.forEach(BudgetEscrow::maintain);
        }
        for (Reservation r : inFlight) {
            settle(instances.stream().filter(x -> r.leaseHolder().map(h -> h.startsWith(nameOf(x, instances))).orElse(false))
                    .findFirst().orElse(instances.getFirst()), r);
        }
        assertThat(served).isLessThanOrEqualTo(50).isGreaterThanOrEqualTo(45);
        assertThat(usageTotal()).isEqualByComparingTo(ledger.spent(TEAM, row.periodKey()).amount());
        // Idle leases go back, and nothing stays held.
        clock.advance(SETTINGS.idleAfter().plusSeconds(1));
        instances.forEach(BudgetEscrow::maintain);
        assertThat(ledger.leasedTotal().amount()).isZero();
        assertThat(ledger.reservedTotal().amount()).isZero();
    }

    private static String nameOf(BudgetEscrow e, List<BudgetEscrow> all) {
        return List.of("a", "b", "c").get(all.indexOf(e)) + ".";
    }

    @Test
    void aDeadInstancesLeaseComesBackAfterItsDeadlineAndItsLateSpendIsStillCharged() {
        BudgetEscrow dead = escrow("dead");
        LedgerRow row = row("1");
        Reservation held = dead.hold(request(row, "0.1")).orElseThrow();
        assertThat(ledger.leasedTotal().amount()).isPositive();

        clock.advance(SETTINGS.leaseTtl().minusSeconds(1));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isZero();
        clock.advance(Duration.ofSeconds(2));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isEqualTo(1);
        assertThat(ledger.leasedTotal().amount()).isZero();

        // It was only paused: its request finishes and is paid for; its next lease is a new one, under a new name.
        settle(dead, held);
        assertThat(ledger.spent(TEAM, row.periodKey()).amount()).isEqualByComparingTo("0.1");
        dead.maintain();
        Reservation next = dead.hold(request(row, "0.1")).orElseThrow();
        assertThat(next.leaseHolder()).isPresent().isNotEqualTo(held.leaseHolder());
    }

    @Test
    void aRequestIsNeverHeldOnALeaseThatWouldExpireBeforeIt() {
        BudgetEscrow escrow = escrow("a");
        LedgerRow row = row("100");
        escrow.hold(request(row, "0.01")).orElseThrow();
        int writes = ledger.leaseWrites();
        // No upkeep for a while: the lease's deadline no longer covers a new request's, so it is renewed first.
        clock.advance(SETTINGS.renewEvery().plusSeconds(1));
        assertThat(escrow.hold(request(row, "0.01"))).isPresent();
        assertThat(ledger.leaseWrites()).isEqualTo(writes + 1);
        // One that would outlast any lease is not held on one at all.
        Reservation longer = new Reservation("long", Usd.of("0.01"), List.of(row), clock.instant().plus(SETTINGS.leaseTtl()));
        assertThat(escrow.hold(longer)).isEmpty();
    }

    @Test
    void nearTheLimitLeasesGoBackAndRequestsReserveOneByOneUntilNothingFits() {
        BudgetEscrow a = escrow("a");
        BudgetEscrow b = escrow("b");
        LedgerRow row = row("0.01"); // 10 requests of $0.001
        int served = 0;
        for (int i = 0; i < 6; i++) {
            Optional<Reservation> r = hold(a, request(row, "0.001"));
            if (r.isPresent()) {
                served++;
                settle(a, r.get());
            }
        }
        // The next upkeep (twice a second) gives back what a leases beyond its share once the row is nearly spent.
        a.maintain();
        for (int i = 0; i < 10; i++) {
            Optional<Reservation> r = hold(b, request(row, "0.001"));
            if (r.isPresent()) {
                served++;
                settle(b, r.get());
            }
            a.maintain();
        }
        assertThat(served).isEqualTo(10);
        assertThat(ledger.spent(TEAM, row.periodKey()).amount()).isEqualByComparingTo("0.01");
        assertThat(usageTotal()).isEqualByComparingTo("0.01");
    }

    private static dev.tiergate.core.budget.RateRow rate(Integer rpm, Integer tpm, int tokens) {
        return new dev.tiergate.core.budget.RateRow("team#t", "minute#2026-12-07T10:00",
                new dev.tiergate.core.budget.RateLimits(Optional.ofNullable(rpm), Optional.ofNullable(tpm), Optional.empty()), tokens);
    }

    private Reservation rated(dev.tiergate.core.budget.RateRow rr) {
        return new Reservation("q" + ids++, Usd.of("0.001"), List.of(), clock.instant().plusSeconds(30), List.of(rr));
    }

    @Test
    void minuteAllowancesAcrossInstancesNeverPassTheRateLimitAndServeWhatFits() {
        List<BudgetEscrow> instances = List.of(escrow("a"), escrow("b"), escrow("c"));
        dev.tiergate.core.budget.RateRow rr = rate(100, null, 50);
        int served = 0;
        int onAllowance = 0;
        for (int i = 0; i < 300; i++) {
            BudgetEscrow e = instances.get(i % 3);
            Reservation r = rated(rr);
            Optional<Reservation> held = e.hold(r);
            if (held.isPresent()) onAllowance++;
            else if (ledger.reserve(r) instanceof BudgetLedger.Held h) held = Optional.of(h.reservation());
            if (held.isPresent()) served++;
            assertThat(ledger.requestsCounted(rr)).isLessThanOrEqualTo(100);
            clock.advance(Duration.ofMillis(20));
        }
        // Allowances lapse unused only in the instances' last slices: nearly all of the minute's 100 are served.
        assertThat(served).isLessThanOrEqualTo(100).isGreaterThanOrEqualTo(90);
        assertThat(onAllowance).isGreaterThan(50);
        assertThat(ledger.leaseWrites()).isLessThan(onAllowance / 2);
    }

    @Test
    void tokensAnAnswerDidNotUseAreHandedOutAgainWithinTheMinute() {
        BudgetEscrow e = escrow("a");
        dev.tiergate.core.budget.RateRow rr = rate(null, 10_000, 1000); // each request may use 1,000 tokens: 10 a minute
        int served = 0;
        for (int i = 0; i < 40; i++) {
            Optional<Reservation> held = e.hold(rated(rr));
            if (held.isEmpty()) continue;
            served++;
            e.finished(held.get(), Usd.ZERO, 100); // it used a tenth of its estimate
        }
        assertThat(served).isGreaterThan(10);
        assertThat(ledger.requestsCounted(rr)).isLessThan(served);
    }

    @Test
    void aFallbackToAPricierTierExtendsALeasedHoldOrSaysItCannot() {
        BudgetEscrow e = escrow("a");
        Reservation onAllowance = e.hold(rated(rate(100, null, 50))).orElseThrow();
        // No budget row: the fallback costs nothing more to hold.
        assertThat(e.extend(onAllowance, Usd.of("0.5"))).map(r -> r.amount().amount().stripTrailingZeros()).contains(new BigDecimal("0.501"));

        LedgerRow row = row("0.05");
        Reservation leased = e.hold(request(row, "0.002")).orElseThrow();
        assertThat(e.extend(leased, Usd.of("0.004"))).map(r -> r.amount().amount().stripTrailingZeros()).contains(new BigDecimal("0.006"));
        // More than the whole limit never fits.
        assertThat(e.extend(leased, Usd.of("1"))).isEmpty();
        assertThat(ledger.leasedTotal().amount()).isLessThanOrEqualTo(new BigDecimal("0.05"));
    }
}
