package dev.tiergate.core.config;

/** How the local simulator imitates this tier's servers: prefill and decode speed, batch size, answer length. */
public record SimulatorSpec(long prefillMicrosPerToken, long interTokenMicros, int maxNumSeqs,
                            int minOutputTokens, int maxOutputTokens, int kvCacheBlocks) {

    public static final SimulatorSpec DEFAULT = new SimulatorSpec(100, 15_000, 64, 8, 64, 8192);
}
