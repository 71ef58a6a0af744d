package dev.tiergate.core.report;

import dev.tiergate.core.money.Usd;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * One organisation's day, from its usage records: what finance reads. Amounts are exact ({@link Usd}); they add up to
 * the usage records and the ledger to the last digit, and the renderers round only for display.
 *
 * @param hourlySpend       24 amounts, UTC hours 0 to 23
 * @param savingsVsTopTier  what sending every request to the priciest tier would have cost, minus the actual spend
 * @param referenceCosts    what the same tokens would have cost at each configured hosted API's list prices
 * @param budgets           utilisation of every budgeted scope seen that day
 */
public record DailyReport(LocalDate date, String organization, long requests, long promptTokens, long completionTokens,
                          long cachedTokens, Usd total, List<Breakdown> byTeam, List<Breakdown> byUser,
                          List<Breakdown> byTier, List<Breakdown> byModel, double cacheHitRate, Latency latency,
                          double errorRate, double fallbackRate, List<Usd> hourlySpend, String topTier, Usd topTierCost,
                          Usd savingsVsTopTier, Map<String, Usd> referenceCosts, List<BudgetUse> budgets) {

    public DailyReport {
        byTeam = List.copyOf(byTeam);
        byUser = List.copyOf(byUser);
        byTier = List.copyOf(byTier);
        byModel = List.copyOf(byModel);
        hourlySpend = List.copyOf(hourlySpend);
        referenceCosts = Map.copyOf(referenceCosts);
        budgets = List.copyOf(budgets);
    }

    /** One group's share: a team, a user, a tier or a model. */
    public record Breakdown(String name, long requests, long promptTokens, long completionTokens, long cachedTokens, Usd cost) {
    }

    /** Latency over answered requests (cache hits excluded: they would flatter the fleet), in milliseconds. */
    public record Latency(long p50, long p95, long p99, long max) {
        public static final Latency NONE = new Latency(0, 0, 0, 0);
    }

    /**
     * @param scope     {@code team 'ml'}, {@code user 'ana'} …
     * @param utilisation spent ÷ limit, 1.0 at the limit
     */
    public record BudgetUse(String scope, String period, Usd spent, Usd limit, double utilisation) {
        public String level() {
            return utilisation >= 1.0 ? "exceeded" : utilisation >= 0.8 ? "warning" : "ok";
        }
    }
}
