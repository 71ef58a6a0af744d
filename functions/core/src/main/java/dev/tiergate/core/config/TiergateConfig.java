package dev.tiergate.core.config;

import java.util.List;
import java.util.Optional;

/** The whole of {@code tiergate.yaml}, parsed and validated: see {@link ConfigLoader} and the example file. */
public record TiergateConfig(String organization, String tablePrefix, GatewaySettings gateway,
                             List<TierConfig> tiers, RoutingSettings routing, BudgetSettings budgets) {

    public TiergateConfig {
        tiers = List.copyOf(tiers);
    }

    /** The tier with this tier name or served model name. */
    public Optional<TierConfig> tier(String nameOrModel) {
        for (TierConfig t : tiers) if (t.name().equals(nameOrModel) || t.model().equals(nameOrModel)) return Optional.of(t);
        return Optional.empty();
    }

    public TierConfig tierNamed(String name) {
        return tier(name).orElseThrow(() -> new IllegalArgumentException("no tier named " + name));
    }
}
