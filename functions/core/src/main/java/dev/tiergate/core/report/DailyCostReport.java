package dev.tiergate.core.report;

import dev.tiergate.core.budget.BudgetCalendar;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.BudgetStore;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.PeriodState;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.config.Prices;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.UsageRecord;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/** Builds a {@link DailyReport} for one UTC day from the usage records, the tier prices and the budgets. */
public final class DailyCostReport {

    private final TiergateConfig config;
    private final UsageLog usage;
    private final BudgetStore budgets;
    private final BudgetLedger ledger;
    private final Clock clock;

    public DailyCostReport(TiergateConfig config, UsageLog usage, BudgetStore budgets, BudgetLedger ledger, Clock clock) {
        this.config = config;
        this.usage = usage;
        this.budgets = budgets;
        this.ledger = ledger;
        this.clock = clock;
    }

    public DailyReport build(LocalDate date) {
        return build(date, usage.forOrgDay(config.organization(), date));
    }

    DailyReport build(LocalDate date, List<UsageRecord> records) {
        long prompt = 0, completion = 0, cached = 0, hits = 0, errors = 0, fallbacks = 0;
        Usd total = Usd.ZERO;
        List<Usd> hourly = new ArrayList<>(java.util.Collections.nCopies(24, Usd.ZERO));
        List<Long> latencies = new ArrayList<>();
        TierConfig top = config.tiers().stream()
                .max(Comparator.comparing((TierConfig t) -> t.prices().inputPerMillion().add(t.prices().outputPerMillion())))
                .orElseThrow();
        Usd topCost = Usd.ZERO;
        Map<String, Usd> reference = new TreeMap<>();
        config.reports().referencePrices().keySet().forEach(k -> reference.put(k, Usd.ZERO));
        for (UsageRecord r : records) {
            prompt += r.tokens().promptTokens();
            completion += r.tokens().completionTokens();
            cached += r.tokens().cachedTokens();
            total = total.plus(r.cost());
            int hour = r.timestamp().atOffset(ZoneOffset.UTC).getHour();
            hourly.set(hour, hourly.get(hour).plus(r.cost()));
            if (r.outcome().cacheHit()) hits++;
            else if (r.status() == 200) latencies.add(r.latencyMs());
            if (r.status() >= 400 || r.outcome().failed()) errors++;
            if (!r.fallbackFrom().isEmpty()) fallbacks++;
            topCost = topCost.plus(TierPricing.cost(top.prices(), r.tokens()));
            for (Map.Entry<String, Prices> p : config.reports().referencePrices().entrySet()) {
                reference.merge(p.getKey(), TierPricing.cost(p.getValue(), r.tokens()), Usd::plus);
            }
        }
        int n = records.size();
        return new DailyReport(date, config.organization(), n, prompt, completion, cached, total,
                breakdown(records, UsageRecord::team), breakdown(records, UsageRecord::user),
                breakdown(records, UsageRecord::tier), breakdown(records, UsageRecord::model),
                n == 0 ? 0 : (double) hits / n, latency(latencies), n == 0 ? 0 : (double) errors / n,
                n == 0 ? 0 : (double) fallbacks / n, hourly, top.name(), topCost, topCost.minus(total), reference,
                budgetUse(date, records));
    }

    /** Groups by a field, priciest first (then by name, so the order is stable). */
    private static List<DailyReport.Breakdown> breakdown(List<UsageRecord> records, Function<UsageRecord, String> by) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        Map<String, Usd> cost = new LinkedHashMap<>();
        for (UsageRecord r : records) {
            String v = by.apply(r);
            String k = v == null || v.isEmpty() ? "(none)" : v;
            long[] c = counts.computeIfAbsent(k, x -> new long[4]);
            c[0]++;
            c[1] += r.tokens().promptTokens();
            c[2] += r.tokens().completionTokens();
            c[3] += r.tokens().cachedTokens();
            cost.merge(k, r.cost(), Usd::plus);
        }
        List<DailyReport.Breakdown> out = new ArrayList<>();
        counts.forEach((k, c) -> out.add(new DailyReport.Breakdown(k, c[0], c[1], c[2], c[3], cost.get(k))));
        out.sort(Comparator.comparing(DailyReport.Breakdown::cost).reversed().thenComparing(DailyReport.Breakdown::name));
        return out;
    }

    /** Nearest-rank percentiles. */
    static DailyReport.Latency latency(List<Long> values) {
        if (values.isEmpty()) return DailyReport.Latency.NONE;
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return new DailyReport.Latency(rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted.getLast());
    }

    static long rank(List<Long> sorted, int percentile) {
        int i = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /**
     * Day and month utilisation of every scope that spent that day and has a budget, read from the ledger at the end
     * of the day (or now, for today). Budget periods follow the budgets' time zone, which may differ from UTC.
     */
    private List<DailyReport.BudgetUse> budgetUse(LocalDate date, List<UsageRecord> records) {
        Set<ScopeRef> scopes = new LinkedHashSet<>();
        for (UsageRecord r : records) {
            scopes.add(new ScopeRef(Scope.ORG, r.org()));
            scopes.add(new ScopeRef(Scope.TEAM, r.team()));
            scopes.add(new ScopeRef(Scope.USER, r.user()));
            scopes.add(new ScopeRef(Scope.KEY, r.keyId()));
        }
        Instant endOfDay = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusMillis(1);
        Instant at = endOfDay.isBefore(clock.instant()) ? endOfDay : clock.instant();
        BudgetCalendar calendar = new BudgetCalendar(config.budgets().timezone());
        List<DailyReport.BudgetUse> out = new ArrayList<>();
        for (ScopeRef s : scopes) {
            Optional<BudgetPolicy> policy = budgets.find(s);
            if (policy.isEmpty()) continue;
            for (PeriodState st : ledger.state(s, at, calendar, policy)) {
                if (st.limit().isEmpty() || (st.period() != Period.DAY && st.period() != Period.MONTH)) continue;
                BigDecimal limit = st.limit().get().amount();
                double use = limit.signum() == 0 ? (st.spent().isZero() ? 0 : Double.POSITIVE_INFINITY)
                        : st.spent().amount().divide(limit, MathContext.DECIMAL64).doubleValue();
                out.add(new DailyReport.BudgetUse(s.toString(), st.period().wire(), st.spent(), st.limit().get(), use));
            }
        }
        out.sort(Comparator.comparingDouble(DailyReport.BudgetUse::utilisation).reversed());
        return out;
    }
}
