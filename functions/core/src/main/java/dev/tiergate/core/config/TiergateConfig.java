package dev.tiergate.core.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The whole of {@code tiergate.yaml}, parsed and validated: see {@link ConfigLoader} and the example file. */
public record TiergateConfig(String organization, String tablePrefix, GatewaySettings gateway,
                             List<TierConfig> tiers, RoutingSettings routing, BudgetSettings budgets,
                             Map<String, TeamPolicy> teams, ObservabilitySettings observability,
                             ReportSettings reports, UsageSettings usage) {

    public TiergateConfig {
        tiers = List.copyOf(tiers);
        teams = Map.copyOf(teams);
    }

    /** What a team may use; a team not listed may use every tier. */
    public record TeamPolicy(List<String> allowedTiers, dev.tiergate.core.budget.RateLimits rateLimits, Optional<Long> cacheTtlSeconds,
                             Optional<SemanticCacheSettings> semanticCache) {
        public TeamPolicy {
            allowedTiers = List.copyOf(allowedTiers);
        }
    }

    /** How long a team's deterministic answers are cached (the gateway's default unless the team sets one); 0 is off. */
    public long cacheTtlSeconds(String team) {
        TeamPolicy p = teams.get(team);
        return p == null ? gateway.cacheTtlSeconds() : p.cacheTtlSeconds().orElse(gateway.cacheTtlSeconds());
    }

    /** A team's semantic cache: its own settings (over the gateway's defaults), else the gateway's. */
    public SemanticCacheSettings semanticCache(String team) {
        TeamPolicy p = teams.get(team);
        return p == null ? gateway.semanticCache() : p.semanticCache().orElse(gateway.semanticCache());
    }

    public dev.tiergate.core.budget.RateLimits teamRateLimits(String team) {
        TeamPolicy p = teams.get(team);
        return p == null ? dev.tiergate.core.budget.RateLimits.NONE : p.rateLimits();
    }

    /** The tier with this tier name or served model name (its own or a variant's). */
    public Optional<TierConfig> tier(String nameOrModel) {
        for (TierConfig t : tiers) if (t.name().equals(nameOrModel) || t.serves(nameOrModel)) return Optional.of(t);
        return Optional.empty();
    }

    public TierConfig tierNamed(String name) {
        return tier(name).orElseThrow(() -> new IllegalArgumentException("no tier named " + name));
    }

    public List<String> teamAllowedTiers(String team) {
        TeamPolicy p = teams.get(team);
        return p == null ? List.of() : p.allowedTiers();
    }
}
