package dev.tiergate.adapters.dynamodb;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.core.budget.BudgetCalendar;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.LeaseLedger;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.PeriodState;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.fixtures.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Leases in DynamoDB Local: the limit holds across holders, spend moves out of a lease with its usage record, and streams journal. */
class DynamoLeaseLedgerTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final ScopeRef TEAM = new ScopeRef(Scope.TEAM, "t");

    private AmazonDynamoDBLocal local;
    private DynamoBudgetLedger ledger;
    private DynamoUsageLog usage;
    private final ManualClock clock = new ManualClock(T0);
    private final BudgetCalendar calendar = new BudgetCalendar(ZoneOffset.UTC);
    private final LedgerRow row = new LedgerRow(TEAM, Period.DAY, "day#2026-12-07", Optional.of(Usd.of("1")), Instant.parse("2026-12-08T00:00:00Z"));

    @BeforeEach
    void start() {
        local = DynamoDBEmbedded.create(true);
        TableNames tables = TableNames.withPrefix("l");
        TableSetup.createIfMissing(local.dynamoDbClient(), tables);
        ledger = new DynamoBudgetLedger(local.dynamoDbClient(), tables, clock);
        usage = new DynamoUsageLog(DynamoDbEnhancedClient.builder().dynamoDbClient(local.dynamoDbClient()).build(), tables.usage());
    }

    @AfterEach
    void stop() {
        local.shutdownNow();
    }

    private static UsageRecord record(String id, String cost, boolean stream) {
        return new UsageRecord(id, T0, "k", "o", "t", "u", "small", "m", new TokenUsage(0, 10, 0), Usd.of(cost), 1, 200, Outcome.OK, stream,
                UsageSource.UPSTREAM, "");
    }

    private PeriodState day() {
        return ledger.state(TEAM, T0, calendar, Optional.empty()).get(1);
    }

    @Test
    void leasesAndReservationsTogetherNeverPassTheLimit() {
        Instant until = T0.plusSeconds(60);
        assertThat(ledger.changeLease(row, "a", Usd.of("0.6"), until, false)).isInstanceOf(LeaseLedger.Changed.class);
        LeaseLedger.LeaseChange second = ledger.changeLease(row, "b", Usd.of("0.6"), until, false);
        assertThat(second).isInstanceOf(LeaseLedger.NoRoom.class);
        assertThat(((LeaseLedger.NoRoom) second).row().committed()).isEqualByComparingTo("0.6");
        LeaseLedger.LeaseChange third = ledger.changeLease(row, "b", Usd.of("0.4"), until, false);
        assertThat(((LeaseLedger.Changed) third).row().holders()).isEqualTo(2);
        assertThat(ledger.reserve(new Reservation("r", Usd.of("0.01"), List.of(row), until))).isInstanceOf(BudgetLedger.Refused.class);
        // A whole limit's worth on a row never written is refused too.
        LedgerRow fresh = new LedgerRow(TEAM, Period.MONTH, "month#2026-12", Optional.of(Usd.of("1")), Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(ledger.changeLease(fresh, "a", Usd.of("1.5"), until, false)).isInstanceOf(LeaseLedger.NoRoom.class);
        // Returning needs the lease to be there: a reclaimed one is not resurrected.
        assertThat(ledger.changeLease(row, "gone", Usd.of("-0.1"), until, true)).isInstanceOf(LeaseLedger.Lost.class);
        assertThat(day().leased().amount()).isEqualByComparingTo("1");
    }

    @Test
    void spendMovesFromTheLeaseWithItsUsageRecordOnceAndAnExpiredLeaseComesBack() {
        ledger.changeLease(row, "a", Usd.of("0.5"), T0.plusSeconds(60), false);
        Reservation held = new Reservation("s1", Usd.of("0.1"), List.of(row), T0.plusSeconds(30)).onLeasesOf("a");
        Settlement s = new Settlement.Settle(held, record("s1", "0.04", false));
        ledger.finishAll(List.of(s, new Settlement.Settle(held.withAmount(Usd.of("0.1")), record("s1", "0.04", false))));
        ledger.finishAll(List.of(s)); // a replay
        assertThat(day().spent().amount()).isEqualByComparingTo("0.04");
        assertThat(day().leased().amount()).isEqualByComparingTo("0.46");
        assertThat(usage.forTeamDay("t", LocalDate.of(2026, 12, 7))).hasSize(1);

        // A lease renewed past its first deadline is left alone: its registration follows the row.
        ledger.changeLease(row, "a", Usd.ZERO, T0.plusSeconds(120), true);
        clock.advance(Duration.ofSeconds(61));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isZero();
        assertThat(day().leased().amount()).isEqualByComparingTo("0.46");
        // Registrations are never taken for requests' reservations.
        assertThat(ledger.expired(clock.instant(), 10)).isEmpty();
        clock.advance(Duration.ofSeconds(60));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isEqualTo(1);
        assertThat(day().leased().amount()).isZero();
        assertThat(local.dynamoDbClient().scan(b -> b.tableName("l-reservations")).count()).isZero();
        // A request of the reclaimed lease that settles late is charged all the same.
        Reservation late = new Reservation("s2", Usd.of("0.1"), List.of(row), T0.plusSeconds(30)).onLeasesOf("a");
        ledger.settle(late, record("s2", "0.05", false));
        assertThat(day().spent().amount()).isEqualByComparingTo("0.09");
        assertThat(ledger.committed(row).amount()).isEqualByComparingTo("0.09");
    }

    @Test
    void aStreamOnALeaseThatDiesIsChargedWhatItJournaledAndOneThatSettledIsNotChargedTwice() {
        ledger.changeLease(row, "a", Usd.of("0.5"), T0.plusSeconds(600), false);
        Reservation dead = new Reservation("d", Usd.of("0.1"), List.of(row), T0.plusSeconds(30)).onLeasesOf("a");
        Reservation done = new Reservation("e", Usd.of("0.1"), List.of(row), T0.plusSeconds(30)).onLeasesOf("a");
        ledger.journal(dead, record("d", "0.02", true));
        ledger.journal(done, record("e", "0.01", true));
        ledger.settle(done, record("e", "0.03", true));

        clock.advance(Duration.ofSeconds(31));
        List<Reservation> expired = ledger.expired(clock.instant(), 10);
        assertThat(expired).hasSize(2).allSatisfy(r -> assertThat(r.leaseHolder()).contains("a"));
        for (Reservation r : expired) ledger.releaseStale(r);
        assertThat(ledger.expired(clock.instant(), 10)).isEmpty();
        assertThat(usage.forTeamDay("t", LocalDate.of(2026, 12, 7))).extracting(u -> u.cost().amount().stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder("0.02", "0.03");
        assertThat(day().spent().amount()).isEqualByComparingTo("0.05");
    }

    @Test
    void aMinutesAllowanceIsTakenOnlyWithinItsLimits() {
        dev.tiergate.core.budget.RateRow rr = new dev.tiergate.core.budget.RateRow("key#k", "minute#2026-12-07T10:00",
                new dev.tiergate.core.budget.RateLimits(Optional.of(10), Optional.of(1000), Optional.empty()), 50);
        assertThat(ledger.takeAllowance(rr, 6, 300)).contains(new LeaseLedger.Counted(6, 300));
        assertThat(ledger.takeAllowance(rr, 5, 250)).isEmpty(); // 11 requests
        assertThat(ledger.takeAllowance(rr, 4, 800)).isEmpty(); // 1,100 tokens
        assertThat(ledger.takeAllowance(rr, 4, 200)).contains(new LeaseLedger.Counted(10, 500));
        // A request reserving by itself now finds the minute full.
        assertThat(ledger.reserve(new Reservation("rr", Usd.of("0.001"), List.of(), T0.plusSeconds(30), List.of(rr))))
                .isInstanceOf(BudgetLedger.Throttled.class);
    }

    /** The key's in-flight row: requests reserved by themselves and slots leased, against max_concurrent. */
    private long inFlight() {
        var item = local.dynamoDbClient().getItem(b -> b.tableName("l-ledger").consistentRead(true).key(java.util.Map.of(
                "owner", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("rate#key#k"),
                "period", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("inflight")))).item();
        return item == null || !item.containsKey("inflight") ? 0 : Long.parseLong(item.get("inflight").n());
    }

    @Test
    void leasedSlotsAndRequestsReservedByThemselvesShareTheCapAndAnExpiredSlotLeaseComesBack() {
        dev.tiergate.core.budget.RateRow rr = new dev.tiergate.core.budget.RateRow("key#k", "minute#2026-12-07T10:00",
                new dev.tiergate.core.budget.RateLimits(Optional.empty(), Optional.empty(), Optional.of(4)), 50);
        assertThat(ledger.changeSlots(rr, "a", 5, T0.plusSeconds(60), false)).isInstanceOf(LeaseLedger.NoRoom.class);
        LeaseLedger.LeaseChange a = ledger.changeSlots(rr, "a", 2, T0.plusSeconds(60), false);
        assertThat(((LeaseLedger.Changed) a).row()).isEqualTo(new LeaseLedger.RowView(java.math.BigDecimal.valueOf(2), 1));
        Reservation alone = new Reservation("c1", Usd.of("0.001"), List.of(), T0.plusSeconds(30), List.of(rr));
        assertThat(ledger.reserve(alone)).isInstanceOf(BudgetLedger.Held.class);
        assertThat(ledger.changeSlots(rr, "b", 2, T0.plusSeconds(60), false)).isInstanceOf(LeaseLedger.NoRoom.class);
        assertThat(ledger.changeSlots(rr, "b", 1, T0.plusSeconds(30), false)).isInstanceOf(LeaseLedger.Changed.class);
        // Four counted: a fifth request is refused, whoever asks.
        assertThat(ledger.reserve(new Reservation("c2", Usd.of("0.001"), List.of(), T0.plusSeconds(30), List.of(rr))))
                .isEqualTo(new BudgetLedger.Throttled(rr, dev.tiergate.core.budget.RateLimitKind.MAX_CONCURRENT));
        assertThat(inFlight()).isEqualTo(4);

        // The request reserved by itself ends; a's lease is given back whole; b's is never renewed and comes back at its deadline.
        ledger.release(alone, record("c1", "0", false));
        assertThat(ledger.endSlots(rr, "a", 1)).isFalse(); // it holds 2
        assertThat(ledger.endSlots(rr, "a", 2)).isTrue();
        assertThat(inFlight()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(31));
        assertThat(ledger.reclaimExpiredLeases(clock.instant())).isEqualTo(1);
        assertThat(inFlight()).isZero();
        assertThat(ledger.changeSlots(rr, "b", 0, T0.plusSeconds(90), true)).isInstanceOf(LeaseLedger.Lost.class);
        assertThat(local.dynamoDbClient().scan(b -> b.tableName("l-reservations")).count()).isZero();
    }
}
