package dev.tiergate.core.config;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One tier: the model its servers serve, what it costs, how much context it takes, and where it runs. A tier with an
 * {@code endpoint} is dispatched there (a real vLLM, a hosted frontier model, any OpenAI-compatible server);
 * otherwise its fleet is the simulator locally and the provisioned fleet in AWS.
 *
 * @param index     position in the file: tiers are listed from the smallest (cheapest) to the largest
 * @param latencyMs typical time to a whole answer, for requests that set a maximum latency; empty when unknown
 * @param variants  weighted A/B split between models served by this tier (e.g. LoRA adapters), sticky per user;
 *                  empty means the tier's one model
 * @param apiKeyEnv the environment variable (a Secrets Manager secret in AWS) holding the upstream's API key
 * @param fallbacks where a request goes when this tier fails, in order: other tiers (down or up, a hosted frontier
 *                  tier among them), then, if listed, {@code cache} (the team's cached answer to the same deterministic
 *                  request) and {@code degraded} (a polite answer marked as degraded)
 */
public record TierConfig(int index, String name, String model, int contextWindow, Set<String> capabilities,
                         Prices prices, Optional<URI> endpoint, Optional<FleetSpec> fleet, SimulatorSpec simulator,
                         Optional<Integer> latencyMs, List<Variant> variants, Optional<String> apiKeyEnv, List<String> fallbacks,
                         boolean semanticCache) {

    public static final String DEGRADED = "degraded";
    public static final String CACHE = "cache";

    public TierConfig {
        capabilities = Set.copyOf(capabilities);
        variants = List.copyOf(variants);
        fallbacks = List.copyOf(fallbacks);
    }

    /** One model of an A/B split and its share of the tier's traffic, in percent. */
    public record Variant(String model, int weight) {}

    /** Every model name this tier answers to: its own and its variants'. */
    /**
     * Whether the tier generates text (chat and completions). A tier that lists only {@code embeddings} among its
     * capabilities is an embedding model: it takes embedding requests and nothing else.
     */
    public boolean generates() {
        return !capabilities.contains("embeddings") || capabilities.contains("chat");
    }

    public boolean serves(String modelName) {
        if (model.equals(modelName)) return true;
        for (var v : variants) {
            if (v.model().equals(modelName)) return true;
        }
        return false;
    }
}
