package dev.tiergate.fleet;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One tier's vLLM server, as configured in {@code tiergate.yaml}: the image and the exact {@code vllm serve} flags
 * (contracts D). Every flag tiergate relies on is set explicitly, so a vLLM default changing under us changes nothing:
 * the served model name clients and the gateway use, the memory share, the context and batch limits, tensor
 * parallelism, prefix caching, and {@code --enable-prompt-tokens-details} (without it there are no cached-token counts,
 * and cached input could not be billed at its price).
 */
public record ServingProfile(String tier, String servedModelName, String modelId, String image, FleetSpec fleet, boolean pooling) {

    /** The vLLM OpenAI server image used on EC2 when the tier names none. */
    public static final String DEFAULT_IMAGE = "vllm/vllm-openai:v0.11.0";
    public static final int PORT = 8000;

    public static ServingProfile of(TierConfig tier) {
        FleetSpec f = tier.fleet().orElseThrow(() -> new IllegalArgumentException("tier '" + tier.name() + "' has no fleet"));
        // An embedding tier runs vLLM's pooling runner, which serves /v1/embeddings (and no generation).
        return new ServingProfile(tier.name(), tier.model(), f.modelId(), f.image().orElse(DEFAULT_IMAGE), f, !tier.generates());
    }

    /** The flags after {@code vllm serve <model>}, in a fixed order. */
    public List<String> flags() {
        FleetSpec.VllmFlags v = fleet.vllm();
        List<String> a = new ArrayList<>();
        a.add("--served-model-name");
        a.add(servedModelName);
        if (pooling) {
            a.add("--runner");
            a.add("pooling");
        }
        fleet.quantization().ifPresent(q -> {
            a.add("--quantization");
            a.add(q);
        });
        a.add("--gpu-memory-utilization");
        a.add(String.format(Locale.ROOT, "%.2f", v.gpuMemoryUtilization()));
        a.add("--max-model-len");
        a.add(Integer.toString(v.maxModelLen()));
        a.add("--max-num-seqs");
        a.add(Integer.toString(v.maxNumSeqs()));
        a.add("--max-num-batched-tokens");
        a.add(Integer.toString(v.maxNumBatchedTokens()));
        a.add("--tensor-parallel-size");
        a.add(Integer.toString(v.tensorParallelSize()));
        a.add(v.enablePrefixCaching() ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
        a.add("--enable-prompt-tokens-details");
        v.toolCallParser().ifPresent(p -> {
            a.add("--enable-auto-tool-choice");
            a.add("--tool-call-parser");
            a.add(p);
        });
        return a;
    }

    /**
     * The SageMaker container's environment: AWS's vLLM SageMaker container turns each {@code SM_VLLM_*} variable into
     * the matching flag ({@code true}: the bare flag; {@code false}: left out) and serves {@code /invocations} and
     * {@code /ping} on port 8080. A {@code --no-...} flag is therefore its own variable set to {@code true}: setting the
     * positive one to {@code false} would drop the flag and leave vLLM's default on.
     */
    public Map<String, String> sageMakerEnvironment(SageMakerWeights weights) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SM_VLLM_MODEL", switch (weights) {
            case FROM_HUB -> modelId;
            case FROM_S3 -> SageMakerWeights.MODEL_DIR;
        });
        List<String> f = flags();
        for (int i = 0; i < f.size(); i++) {
            String key = "SM_VLLM_" + f.get(i).substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
            boolean hasValue = i + 1 < f.size() && !f.get(i + 1).startsWith("--");
            env.put(key, hasValue ? f.get(++i) : "true");
        }
        return env;
    }

    /** A folder in S3: its bucket, and its prefix inside it (empty, or ending in {@code /}). */
    public record S3Folder(String bucket, String prefix) {
        public String uri() {
            return "s3://" + bucket + "/" + prefix;
        }
    }

    /** The operator's own S3 folder when the model is one ({@code s3://BUCKET/FOLDER/}: a fine-tune, a private copy). */
    public java.util.Optional<S3Folder> ownFolder() {
        if (!modelId.startsWith("s3://")) return java.util.Optional.empty();
        String rest = modelId.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        return java.util.Optional.of(new S3Folder(bucket, prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/"));
    }

    /**
     * The S3 folder instances (and SageMaker) copy the weights from: the model's own folder when it is one, else the
     * fleet's cache of it in the weights bucket.
     */
    public S3Folder weightsFolder(String modelsBucket) {
        return ownFolder().orElseGet(() -> new S3Folder(modelsBucket, weightsPrefix()));
    }

    /** The S3 prefix where this model's weights are cached for the fleet's instances. */
    public String weightsPrefix() {
        String id = modelId.startsWith("s3://") ? modelId.substring(modelId.indexOf('/', 5) + 1) : modelId;
        return "models/" + id.replaceAll("[^A-Za-z0-9._/-]", "_") + "/";
    }
}
