package dev.tiergate.sim;

import java.util.Objects;
import java.util.Optional;

/**
 * Everything one simulated vLLM replica needs to know: what it serves, how big its engine is and how fast it is.
 * Latencies are in microseconds of simulated GPU time; {@code timeScale} multiplies every one of them
 * (0 answers instantly, for tests and overhead benchmarks).
 */
public record ReplicaSettings(
        String servedModelName,
        String modelRoot,
        int maxModelLen,
        int maxNumSeqs,
        long prefillMicrosPerToken,
        long interTokenMicros,
        double timeScale,
        int blockSize,
        int kvCacheBlocks,
        boolean enablePromptTokensDetails,
        int minOutputTokens,
        int maxOutputTokens,
        Optional<String> apiKey,
        Faults faults,
        boolean embeds,
        Optional<String> toolCallParser) {

    public ReplicaSettings {
        Objects.requireNonNull(servedModelName, "servedModelName");
        Objects.requireNonNull(modelRoot, "modelRoot");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(faults, "faults");
        Objects.requireNonNull(toolCallParser, "toolCallParser");
        require(!servedModelName.isBlank(), "servedModelName must not be blank");
        require(maxModelLen > 0, "maxModelLen must be > 0");
        require(maxNumSeqs > 0, "maxNumSeqs must be > 0");
        require(prefillMicrosPerToken >= 0 && interTokenMicros >= 0, "latencies must be >= 0");
        require(timeScale >= 0 && Double.isFinite(timeScale), "timeScale must be a finite number >= 0");
        require(blockSize > 0, "blockSize must be > 0");
        require(kvCacheBlocks > 0, "kvCacheBlocks must be > 0");
        require(minOutputTokens >= 1 && maxOutputTokens >= minOutputTokens, "need 1 <= minOutputTokens <= maxOutputTokens");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public static Builder builder(String servedModelName) {
        return new Builder(servedModelName);
    }

    public Builder toBuilder() {
        Builder b = new Builder(servedModelName);
        b.modelRoot = modelRoot; b.maxModelLen = maxModelLen; b.maxNumSeqs = maxNumSeqs;
        b.prefillMicrosPerToken = prefillMicrosPerToken; b.interTokenMicros = interTokenMicros; b.timeScale = timeScale;
        b.blockSize = blockSize; b.kvCacheBlocks = kvCacheBlocks; b.enablePromptTokensDetails = enablePromptTokensDetails;
        b.minOutputTokens = minOutputTokens; b.maxOutputTokens = maxOutputTokens; b.apiKey = apiKey; b.faults = faults; b.embeds = embeds; b.toolCallParser = toolCallParser;
        return b;
    }

    /** Defaults are those of a small model on one mid-range GPU: about 0.1 ms prefill per token and 15 ms per output token. */
    public static final class Builder {
        private final String servedModelName;
        private String modelRoot;
        private int maxModelLen = 8192;
        private int maxNumSeqs = 64;
        private long prefillMicrosPerToken = 100;
        private long interTokenMicros = 15_000;
        private double timeScale = 1.0;
        private int blockSize = 16;
        private int kvCacheBlocks = 8192;
        private boolean enablePromptTokensDetails = true;
        private int minOutputTokens = 8;
        private int maxOutputTokens = 64;
        private Optional<String> apiKey = Optional.empty();
        private Faults faults = Faults.NONE;
        private boolean embeds;
        private Optional<String> toolCallParser = Optional.empty();

        private Builder(String servedModelName) {
            this.servedModelName = servedModelName;
            this.modelRoot = "/models/" + servedModelName;
        }

        public Builder modelRoot(String v) { modelRoot = v; return this; }
        public Builder maxModelLen(int v) { maxModelLen = v; return this; }
        public Builder maxNumSeqs(int v) { maxNumSeqs = v; return this; }
        public Builder prefillMicrosPerToken(long v) { prefillMicrosPerToken = v; return this; }
        public Builder interTokenMicros(long v) { interTokenMicros = v; return this; }
        public Builder timeScale(double v) { timeScale = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder kvCacheBlocks(int v) { kvCacheBlocks = v; return this; }
        public Builder enablePromptTokensDetails(boolean v) { enablePromptTokensDetails = v; return this; }
        public Builder outputTokens(int min, int max) { minOutputTokens = min; maxOutputTokens = max; return this; }
        public Builder apiKey(String v) { apiKey = Optional.ofNullable(v); return this; }
        public Builder faults(Faults v) { faults = v; return this; }
        /** An embedding model (vLLM's pooling runner): it serves /v1/embeddings, and refuses it otherwise. */
        public Builder embeds(boolean v) { embeds = v; return this; }
        /** vLLM's {@code --enable-auto-tool-choice --tool-call-parser P}: without it, {@code tool_choice: auto} is refused. */
        public Builder toolCallParser(String v) { toolCallParser = Optional.ofNullable(v); return this; }

        public ReplicaSettings build() {
            return new ReplicaSettings(servedModelName, modelRoot, maxModelLen, maxNumSeqs, prefillMicrosPerToken,
                    interTokenMicros, timeScale, blockSize, kvCacheBlocks, enablePromptTokensDetails,
                    minOutputTokens, maxOutputTokens, apiKey, faults, embeds, toolCallParser);
        }
    }
}
