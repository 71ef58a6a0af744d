package dev.tiergate.adapters.budget;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.budget.BudgetCalendar;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.budget.UsageSpend;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.fixtures.InMemoryKeyStore;
import dev.tiergate.fixtures.InMemoryUsageLog;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Spend of the periods without a ledger row, from the usage records: right sums, and each day read once, in the right partition. */
class UsageSpendTest {

    private static final Instant NOW = Instant.parse("2026-12-07T22:30:00Z");
    private static final BudgetCalendar UTC = new BudgetCalendar(ZoneOffset.UTC);

    /** The log, remembering which partitions were read. */
    private static final class ReadsCounted implements UsageLog {
        final InMemoryUsageLog records = new InMemoryUsageLog();
        final List<String> reads = new ArrayList<>();

        @Override
        public void record(UsageRecord r) {
            records.record(r);
        }

        @Override
        public List<UsageRecord> forTeamDay(String team, LocalDate day) {
            reads.add("team " + team + " " + day);
            return records.forTeamDay(team, day);
        }

        @Override
        public List<UsageRecord> forOrgDay(String org, LocalDate day) {
            reads.add("org " + org + " " + day);
            return records.forOrgDay(org, day);
        }
    }

    private static UsageRecord spend(String id, String at, String key, String team, String user, String usd) {
        return new UsageRecord(id, Instant.parse(at), key, "default", team, user, "small", "m", new TokenUsage(10, 10, 0),
                Usd.of(usd), 1, 200, Outcome.OK, false, UsageSource.UPSTREAM, "");
    }

    private static ReadsCounted log() {
        ReadsCounted log = new ReadsCounted();
        log.record(spend("a", "2026-12-07T22:10:00Z", "key_1", "search", "ana", "0.10"));  // this hour
        log.record(spend("b", "2026-12-07T09:00:00Z", "key_1", "search", "ana", "0.20"));  // today, earlier hour
        log.record(spend("c", "2026-12-02T12:00:00Z", "key_1", "search", "ana", "0.40"));  // this month
        log.record(spend("d", "2026-11-30T23:59:59Z", "key_1", "search", "ana", "0.80"));  // last month
        log.record(spend("e", "2026-12-07T22:20:00Z", "key_2", "search", "bo", "1.00"));   // another key, same team
        log.record(spend("f", "2026-12-07T22:25:00Z", "key_3", "ads", "ana", "2.00"));     // the same user in another team
        return log;
    }

    private static InMemoryKeyStore keys() {
        InMemoryKeyStore keys = new InMemoryKeyStore();
        keys.create(new ApiKey("key_1", "h1", "default", "search", "ana", Role.USER, List.of(), NOW, Optional.empty(), false));
        return keys;
    }

    @Test
    void eachPeriodSumsOnlyItsOwnRecordsOfItsOwnScope() {
        UsageSpend spend = new UsageSpend(log(), keys(), "default");
        List<Period> periods = List.of(Period.HOUR, Period.DAY, Period.MONTH);
        assertThat(spend.spent(new ScopeRef(Scope.KEY, "key_1"), periods, NOW, UTC))
                .isEqualTo(Map.of(Period.HOUR, Usd.of("0.10"), Period.DAY, Usd.of("0.30"), Period.MONTH, Usd.of("0.70")));
        assertThat(spend.spent(new ScopeRef(Scope.TEAM, "search"), periods, NOW, UTC))
                .isEqualTo(Map.of(Period.HOUR, Usd.of("1.10"), Period.DAY, Usd.of("1.30"), Period.MONTH, Usd.of("1.70")));
        assertThat(spend.spent(new ScopeRef(Scope.USER, "ana"), periods, NOW, UTC))
                .isEqualTo(Map.of(Period.HOUR, Usd.of("2.10"), Period.DAY, Usd.of("2.30"), Period.MONTH, Usd.of("2.70")));
        assertThat(spend.spent(new ScopeRef(Scope.ORG, "default"), List.of(Period.MONTH), NOW, UTC)).isEqualTo(Map.of(Period.MONTH, Usd.of("3.70")));
        // Asked about an earlier hour: what came after it is not its spend.
        assertThat(spend.spent(new ScopeRef(Scope.KEY, "key_1"), periods, Instant.parse("2026-12-07T09:30:00Z"), UTC))
                .isEqualTo(Map.of(Period.HOUR, Usd.of("0.20"), Period.DAY, Usd.of("0.30"), Period.MONTH, Usd.of("0.70")));
        assertThat(spend.spent(new ScopeRef(Scope.KEY, "key_1"), List.of(), NOW, UTC)).isEmpty();
    }

    @Test
    void aKeysPeriodsReadEachDayOfItsTeamOnce() {
        ReadsCounted log = log();
        new UsageSpend(log, keys(), "default").spent(new ScopeRef(Scope.KEY, "key_1"), List.of(Period.HOUR, Period.DAY, Period.MONTH), NOW, UTC);
        // 1 to 7 December, each once, from the key's team only: not the organisation's days, not three passes.
        assertThat(log.reads).hasSize(7).doesNotHaveDuplicates().allMatch(r -> r.startsWith("team search 2026-12-0"));
    }

    @Test
    void aKeyNoLongerStoredIsLookedForInTheOrganisationsDays() {
        ReadsCounted log = log();
        Map<Period, Usd> spent = new UsageSpend(log, new InMemoryKeyStore(), "default").spent(new ScopeRef(Scope.KEY, "key_1"), List.of(Period.DAY), NOW, UTC);
        assertThat(spent).isEqualTo(Map.of(Period.DAY, Usd.of("0.30")));
        assertThat(log.reads).containsExactly("org default 2026-12-07");
    }
}
