package dev.tiergate.core.config;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One tier: the model its servers serve, what it costs, how much context it takes, and where it runs. A tier with an
 * {@code endpoint} is dispatched there (a real vLLM or any OpenAI-compatible server); otherwise its fleet is the
 * simulator locally and the provisioned fleet in AWS.
 *
 * @param index position in the file: tiers are listed from the smallest (cheapest) to the largest
 */
public record TierConfig(int index, String name, String model, int contextWindow, Set<String> capabilities,
                         Prices prices, Optional<URI> endpoint, Optional<FleetSpec> fleet, SimulatorSpec simulator) {

    public TierConfig {
        capabilities = Set.copyOf(capabilities);
    }

    public List<String> names() {
        return List.of(name, model);
    }
}
