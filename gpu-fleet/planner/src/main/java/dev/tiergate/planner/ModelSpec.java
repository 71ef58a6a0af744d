package dev.tiergate.planner;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The figures of a model that decide its memory: parameters, and the shape of its attention (layers, KV heads, head
 * dimension), from the models' published configs.
 */
public record ModelSpec(String name, double paramsBillions, int layers, int kvHeads, int headDim, int maxContext) {

    /** KV-cache bytes one token holds: a key and a value per layer and KV head. */
    public long kvBytesPerToken(Quantization kvDtype) {
        return 2L * layers * kvHeads * headDim * kvDtype.kvBytes();
    }

    /** Common open models, with the figures of their published configs. */
    public static final List<ModelSpec> CATALOGUE = List.of(
            new ModelSpec("mistral-7b", 7.24, 32, 8, 128, 32_768),
            new ModelSpec("llama-3.1-8b", 8.03, 32, 8, 128, 131_072),
            new ModelSpec("llama-3.2-3b", 3.21, 28, 8, 128, 131_072),
            new ModelSpec("qwen2.5-7b", 7.62, 28, 4, 128, 131_072),
            new ModelSpec("qwen2.5-32b", 32.8, 64, 8, 128, 131_072),
            new ModelSpec("mixtral-8x7b", 46.7, 32, 8, 128, 32_768),
            new ModelSpec("llama-3.3-70b", 70.6, 80, 8, 128, 131_072),
            new ModelSpec("phi-3-mini", 3.82, 32, 32, 96, 131_072));

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
