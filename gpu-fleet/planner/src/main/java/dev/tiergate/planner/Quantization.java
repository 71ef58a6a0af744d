package dev.tiergate.planner;

import java.util.Locale;
import java.util.Optional;

/**
 * How weights are stored. 4-bit formats (AWQ, GPTQ) carry group scales and zero points: about 4.5 bits a weight.
 * The KV cache stays FP16 unless the server is told otherwise.
 */
public enum Quantization {
    FP16(2.0, 2), BF16(2.0, 2), FP8(1.0, 2), AWQ(0.5625, 2), GPTQ(0.5625, 2);

    private final double weightBytes;
    private final int kvBytes;

    Quantization(double weightBytes, int kvBytes) {
        this.weightBytes = weightBytes;
        this.kvBytes = kvBytes;
    }

    public double weightBytes() {
        return weightBytes;
    }

    public int kvBytes() {
        return kvBytes;
    }

    /** 4-bit weight-only formats leave the embeddings and {@code lm_head} in FP16. */
    public boolean keepsEmbeddingsFp16() {
        return this == AWQ || this == GPTQ;
    }

    public static Optional<Quantization> named(String s) {
        String n = s.toUpperCase(Locale.ROOT);
        if (n.equals("NONE") || n.equals("FULL")) return Optional.of(FP16);
        // vLLM's Marlin kernels read the same AWQ and GPTQ checkpoints, faster: the same bytes.
        if (n.endsWith("_MARLIN")) n = n.substring(0, n.length() - "_MARLIN".length());
        for (Quantization q : values()) if (q.name().equals(n)) return Optional.of(q);
        return Optional.empty();
    }
}
