package dev.tiergate.e2e;

import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;

/**
 * A config made for exact arithmetic: input tokens are free and the simulator always writes more than max_tokens, so
 * every request costs exactly max_tokens × the output price, which is also what is reserved.
 */
final class BudgetConfig {

    private BudgetConfig() {}

    static final String YAML = """
            organization: acme
            gateway: {request_timeout_ms: %d, stream_timeout_ms: %d, key_cache_seconds: 0}
            budgets: {timezone: Europe/Berlin, cache_seconds: 0, reservation_grace_ms: %d, default_max_tokens: 100}
            routing:
              embedding: {enabled: false}
            tiers:
              - name: small
                model: b-small
                context_window: 8192
                prices_per_million: {input: 0, output: 10}
                fleet: {instance_type: g5.xlarge, model_id: test/small, vllm: {max_model_len: 8192}}
                simulator: {output_tokens: {min: 400, max: 400}}
              - name: large
                model: b-large
                context_window: 8192
                prices_per_million: {input: 0, output: 40}
                fleet: {instance_type: g5.xlarge, model_id: test/large, vllm: {max_model_len: 8192}}
                simulator: {output_tokens: {min: 400, max: 400}}
            """;

    static TiergateConfig config() {
        return config(10_000, 1_000);
    }

    static TiergateConfig config(long requestTimeoutMs, long graceMs) {
        return ConfigLoader.parse(yaml(requestTimeoutMs, graceMs), "budget-test.yaml");
    }

    /** Streams get the gateway's default five minutes. */
    static String yaml(long requestTimeoutMs, long graceMs) {
        return yaml(requestTimeoutMs, 300_000, graceMs);
    }

    static String yaml(long requestTimeoutMs, long streamTimeoutMs, long graceMs) {
        return YAML.formatted(requestTimeoutMs, streamTimeoutMs, graceMs);
    }

    static String chat(String model, int maxTokens) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}";
    }
}
