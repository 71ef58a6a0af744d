package dev.tiergate.planner;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The figures of a model that decide its memory: parameters, and the shape of its attention (layers, KV heads, head
 * dimension), from the models' published configs.
 *
 * @param embeddingParamsBillions the token embeddings and {@code lm_head} (vocabulary × hidden size, once if tied):
 *                                4-bit AWQ and GPTQ checkpoints keep them in FP16
 * @param maxContext              the context vLLM derives from the config ({@code max_position_embeddings}, no RoPE
 *                                scaling the stock config does not set)
 */
public record ModelSpec(String name, double paramsBillions, double embeddingParamsBillions, int layers, int kvHeads, int headDim,
                        int maxContext) {

    /** KV-cache bytes one token holds: a key and a value per layer and KV head. */
    public long kvBytesPerToken(Quantization kvDtype) {
        return 2L * layers * kvHeads * headDim * kvDtype.kvBytes();
    }

    /** Common open models, with the figures of their published configs. */
    public static final List<ModelSpec> CATALOGUE = List.of(
            // vocab × hidden: 32,768 × 4,096, untied
            new ModelSpec("mistral-7b", 7.24, 0.268, 32, 8, 128, 32_768),
            // 128,256 × 4,096, untied
            new ModelSpec("llama-3.1-8b", 8.03, 1.051, 32, 8, 128, 131_072),
            // 128,256 × 3,072, tied
            new ModelSpec("llama-3.2-3b", 3.21, 0.394, 28, 8, 128, 131_072),
            // 152,064 × 3,584, untied; Qwen2.5's config says 32,768 (131,072 needs the YaRN rope_scaling added)
            new ModelSpec("qwen2.5-7b", 7.62, 1.090, 28, 4, 128, 32_768),
            // 152,064 × 5,120, untied
            new ModelSpec("qwen2.5-32b", 32.8, 1.557, 64, 8, 128, 32_768),
            // 32,000 × 4,096, untied
            new ModelSpec("mixtral-8x7b", 46.7, 0.262, 32, 8, 128, 32_768),
            // 128,256 × 8,192, untied
            new ModelSpec("llama-3.3-70b", 70.6, 2.101, 80, 8, 128, 131_072),
            // 32,064 × 3,072, untied
            new ModelSpec("phi-3-mini", 3.82, 0.197, 32, 32, 96, 131_072),
            // 30,522 × 384, tied
            new ModelSpec("e5-small-v2", 0.033, 0.012, 12, 12, 32, 512));

    /**
     * The catalogued model a Hugging Face id or weights path names, e.g. {@code meta-llama/Llama-3.3-70B-Instruct} or
     * {@code Qwen/Qwen2.5-32B-Instruct-AWQ}: the last path segment, lower-cased, without a {@code meta-} prefix, must
     * start with a catalogue name followed by its end or a dash (so {@code llama-3.1-8b} never matches {@code llama-3.1-80b}).
     */
    public static Optional<ModelSpec> forModelId(String modelId) {
        String id = modelId.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        id = id.substring(id.lastIndexOf('/') + 1);
        if (id.startsWith("meta-")) id = id.substring(5);
        String n = id;
        return CATALOGUE.stream().filter(m -> n.equals(m.name) || n.startsWith(m.name + "-")).findFirst();
    }

    public static Optional<ModelSpec> named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return CATALOGUE.stream().filter(m -> m.name.equals(n)).findFirst();
    }
}
