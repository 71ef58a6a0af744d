package dev.tiergate.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The dispatch benchmark's workload, shared with the tests that assert on it: its config, and twenty system prompts
 * of about 1,000 tokens each that begin differently, so placement by prefix shows in the simulators' prefix caches.
 */
public final class DispatchWorkload {

    private static final String[] WORDS = ("the a model answer token cache tier budget router fleet replica latency prompt context "
            + "value system user gateway cost price usage stream engine block prefix queue batch memory server client metric "
            + "report team key limit level data").split(" ");

    private DispatchWorkload() {
    }

    /** Two tiers on simulators at zero latency; {@code small}'s prefix cache holds 400 blocks (6,400 tokens). */
    public static String config(String selection, boolean budgets) {
        return """
                gateway:
                  first_byte_timeout_ms: 2000
                  backoff_base_ms: 2
                  backoff_max_ms: 20
                  replica_selection: %s
                budgets: {cache_seconds: 5, enabled: %s}
                routing: {embedding: {enabled: false}}
                tiers:
                  - name: small
                    model: d-small
                    context_window: 16384
                    prices_per_million: {input: 0.1, output: 1}
                    fleet: {instance_type: g5.xlarge, model_id: t/s, vllm: {max_model_len: 16384}}
                    simulator: {output_tokens: {min: 8, max: 8}, kv_cache_blocks: 400}
                    fallbacks: [medium]
                  - name: medium
                    model: d-medium
                    context_window: 16384
                    prices_per_million: {input: 0.2, output: 2}
                    fleet: {instance_type: g5.xlarge, model_id: t/m, vllm: {max_model_len: 16384}}
                    simulator: {output_tokens: {min: 8, max: 8}}
                """.formatted(selection, budgets);
    }

    /**
     * About 1,000 tokens (common one-token words) of distinct instructions per system prompt; the prompt number comes
     * first, so prompts differ from their first block.
     */
    public static List<String> systemPrompts(Random rnd) {
        List<String> systems = new ArrayList<>();
        for (int p = 0; p < 20; p++) {
            StringBuilder sb = new StringBuilder("Assistant " + p + ":");
            for (int w = 0; w < 990; w++) sb.append(' ').append(WORDS[rnd.nextInt(WORDS.length)]);
            systems.add(sb.toString());
        }
        return systems;
    }

    /** A chat request to {@code small} with this system prompt and user message. */
    public static String chat(String system, String user) {
        return "{\"model\":\"small\",\"messages\":[{\"role\":\"system\",\"content\":\"" + system
                + "\"},{\"role\":\"user\",\"content\":\"" + user + "\"}]}";
    }
}
