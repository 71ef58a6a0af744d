package dev.tiergate.planner;

import java.util.List;
import java.util.Optional;

/**
 * A model repository on the Hugging Face hub, with what decides whether {@code vllm serve} starts it: whether the hub
 * gates it (a token with access is needed), the quantization method its {@code config.json} declares, its attention
 * heads (tensor parallelism must divide them) and the context vLLM derives from its config. The planner and the
 * simulator's launch contract read this one table.
 *
 * @param repo           the hub id
 * @param family         the {@link ModelSpec} its sizes come from
 * @param gated          the hub answers 401 without a token that accepted the licence
 * @param quantization   {@code quantization_config.quant_method} of its config, empty for full-precision weights
 * @param attentionHeads {@code num_attention_heads}
 * @param derivedContext the context vLLM derives: {@code max_position_embeddings}, no RoPE scaling factor applied
 * @param source         where the figures come from
 */
public record Checkpoint(String repo, String family, boolean gated, Optional<String> quantization, int attentionHeads,
                         int derivedContext, String source) {

    /** The {@code --quantization} values vLLM's argument parser accepts that tiergate's fleets use or may. */
    public static final java.util.Set<String> VLLM_METHODS = java.util.Set.of("awq", "awq_marlin", "gptq", "gptq_marlin", "fp8",
            "compressed-tensors", "bitsandbytes", "gguf", "experts_int8", "modelopt", "marlin");

    public static final List<Checkpoint> CATALOGUE = List.of(
            new Checkpoint("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b", true, Optional.empty(), 32, 131_072,
                    "config.json of the repository; gated by the Llama 3.1 Community License"),
            new Checkpoint("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "llama-3.1-8b", false, Optional.of("awq"), 32, 131_072,
                    "config.json (quantization_config: awq, 4 bits, group 128); public, no licence gate"),
            new Checkpoint("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b", false, Optional.empty(), 28, 32_768,
                    "config.json: max_position_embeddings 32768; YaRN to 131072 only with rope_scaling added"),
            new Checkpoint("Qwen/Qwen2.5-32B-Instruct", "qwen2.5-32b", false, Optional.empty(), 40, 32_768,
                    "config.json: max_position_embeddings 32768"),
            new Checkpoint("Qwen/Qwen2.5-32B-Instruct-AWQ", "qwen2.5-32b", false, Optional.of("awq"), 40, 32_768,
                    "config.json (quantization_config: awq); max_position_embeddings 32768"),
            new Checkpoint("meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b", true, Optional.empty(), 64, 131_072,
                    "config.json of the repository; gated by the Llama 3.3 Community License"),
            new Checkpoint("mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b", true, Optional.empty(), 32, 32_768,
                    "config.json; gated (accept the conditions on the hub)"),
            new Checkpoint("intfloat/e5-small-v2", "e5-small-v2", false, Optional.empty(), 12, 512,
                    "config.json: max_position_embeddings 512"));

    /**
     * Whether vLLM loads this checkpoint with {@code --quantization asked}: a checkpoint that declares a method takes
     * that method or its Marlin kernel; one that declares none takes none, or fp8 (quantized at load). AWQ or GPTQ on
     * full-precision weights finds no quantization config and fails.
     */
    public boolean accepts(Optional<String> asked) {
        if (asked.isEmpty() || asked.get().equals("none")) return true;
        String a = asked.get();
        if (quantization.isEmpty()) return a.equals("fp8");
        return a.equals(quantization.get()) || a.equals(quantization.get() + "_marlin");
    }

    public static Optional<Checkpoint> of(String repo) {
        return CATALOGUE.stream().filter(c -> c.repo.equals(repo)).findFirst();
    }
}
