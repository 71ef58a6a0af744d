package dev.tiergate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.planner.Checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code vllm serve MODEL [flags]} as vLLM reads it, refusing at start what vLLM refuses, in its words: an unknown flag,
 * a local directory without {@code config.json} or weights, a quantization the checkpoint does not carry, a gated
 * repository without a token, tensor parallelism that does not divide the heads or exceeds the GPUs, a context longer
 * than the model's. A hub model is "downloaded" into the Hugging Face cache as the hub client lays it out
 * ({@code hub/models--ORG--NAME/snapshots/SHA/...}, files linked into {@code blobs}), so whatever copies that cache
 * meets the layout the real one has.
 */
public final class VllmLaunch {

    /** What a launch ends in: a server to start, or vLLM's refusal (its exit code and what it prints). */
    public sealed interface Outcome permits Serve, Refused {}

    /** @param modelDir the local directory the weights are in (the hub cache's snapshot for a hub model) */
    public record Serve(ReplicaSettings settings, String host, int port, Path modelDir) implements Outcome {}

    public record Refused(int exitCode, String message) implements Outcome {}

    /** Flags the simulator knows, with whether each takes a value. */
    private static final Map<String, Boolean> FLAGS = Map.ofEntries(
            Map.entry("--host", true), Map.entry("--port", true), Map.entry("--served-model-name", true),
            Map.entry("--runner", true), Map.entry("--quantization", true), Map.entry("--gpu-memory-utilization", true),
            Map.entry("--max-model-len", true), Map.entry("--max-num-seqs", true), Map.entry("--max-num-batched-tokens", true),
            Map.entry("--tensor-parallel-size", true), Map.entry("--pipeline-parallel-size", true),
            Map.entry("--enable-prefix-caching", false), Map.entry("--no-enable-prefix-caching", false),
            Map.entry("--enable-prompt-tokens-details", false), Map.entry("--enable-auto-tool-choice", false),
            Map.entry("--tool-call-parser", true), Map.entry("--download-dir", true), Map.entry("--hf-token", true),
            Map.entry("--api-key", true), Map.entry("--model", true), Map.entry("--dtype", true), Map.entry("--kv-cache-dtype", true),
            Map.entry("--seed", true), Map.entry("--max-logprobs", true), Map.entry("--disable-log-requests", false),
            Map.entry("--trust-remote-code", false));

    private static final String USAGE = "usage: vllm [-h] [-v] {chat,complete,serve,launch,bench,collect-env,run-batch} ...";
    private static final ObjectMapper JSON = new ObjectMapper();

    private VllmLaunch() {}

    /**
     * The arguments AWS's vLLM SageMaker container passes to {@code vllm serve}: {@code --port 8080} (SageMaker's
     * container port), then each {@code SM_VLLM_<NAME>} variable as {@code --<name>} (lower case, {@code _} to
     * {@code -}) with its value, {@code true} as the bare flag and {@code false} left out. The model comes as
     * {@code SM_VLLM_MODEL}, hence {@code --model}. Variables are taken in name order (an environment has none).
     */
    public static List<String> sageMakerContainerArgs(Map<String, String> env) {
        List<String> args = new ArrayList<>(List.of("--port", "8080"));
        new java.util.TreeMap<>(env).forEach((k, v) -> {
            if (!k.startsWith("SM_VLLM_") || v.equals("false")) return;
            args.add("--" + k.substring("SM_VLLM_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            if (!v.equals("true")) args.add(v);
        });
        return args;
    }

    /**
     * @param args the arguments after {@code vllm serve}
     * @param env  the process environment ({@code HF_TOKEN}, {@code HF_HOME}, ...)
     * @param gpus the GPUs the machine has
     * @param home the home directory ({@code ~/.cache/huggingface} is under it unless {@code HF_HOME} says otherwise)
     */
    public static Outcome parse(List<String> args, Map<String, String> env, int gpus, Path home) {
        String model = null;
        java.util.HashMap<String, String> flags = new java.util.HashMap<>();
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                if (model == null) model = a;
                else unknown.add(a);
                continue;
            }
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            Boolean takesValue = FLAGS.get(name);
            if (takesValue == null) {
                unknown.add(a);
                continue;
            }
            if (!takesValue) flags.put(name, "true");
            else if (a.contains("=")) flags.put(name, a.substring(a.indexOf('=') + 1));
            else if (i + 1 < args.size()) flags.put(name, args.get(++i));
            else return new Refused(2, USAGE + "\nvllm serve: error: argument " + name + ": expected one argument");
        }
        if (!unknown.isEmpty()) return new Refused(2, USAGE + "\nvllm: error: unrecognized arguments: " + String.join(" ", unknown));
        if (model == null) model = flags.get("--model");
        if (model == null) model = "Qwen/Qwen3-0.6B";

        // The model's config: a local directory's config.json, or the hub repository's (downloaded into the cache).
        Path dir;
        JsonNode config;
        if (model.startsWith("/") || model.startsWith("./")) {
            dir = Path.of(model);
            Path cfg = dir.resolve("config.json");
            if (!Files.isRegularFile(cfg)) {
                return new Refused(1, "ValueError: Invalid repository ID or local directory specified: '" + model + "'.\n"
                        + "Please verify the following requirements:\n1. Provide a valid Hugging Face repository ID.\n"
                        + "2. Specify a local directory that contains a recognized configuration file.\n"
                        + "   - For Hugging Face models: ensure the presence of a 'config.json'.\n"
                        + "   - For Mistral models: ensure the presence of a 'params.json'.");
            }
            try {
                config = JSON.readTree(cfg.toFile());
            } catch (IOException e) {
                return new Refused(1, "ValueError: Invalid repository ID or local directory specified: '" + model + "'.");
            }
        } else {
            Optional<Checkpoint> known = Checkpoint.of(model);
            if (known.isEmpty()) {
                return new Refused(1, "OSError: " + model + " is not a local folder and is not a valid model identifier listed on "
                        + "'https://huggingface.co/models'");
            }
            Checkpoint c = known.get();
            boolean token = present(env.get("HF_TOKEN")) || present(env.get("HUGGING_FACE_HUB_TOKEN")) || present(flags.get("--hf-token"));
            if (c.gated() && !token) {
                return new Refused(1, "OSError: You are trying to access a gated repo.\nMake sure to have access to it at "
                        + "https://huggingface.co/" + model + ".\n401 Client Error. Cannot access gated repo for url https://huggingface.co/"
                        + model + "/resolve/main/config.json.\nAccess to model " + model + " is restricted. You must have access to it "
                        + "and be authenticated to access it. Please log in.");
            }
            Path hub = Path.of(env.getOrDefault("HF_HOME", home.resolve(".cache/huggingface").toString())).resolve("hub");
            try {
                dir = download(hub, c);
                config = JSON.readTree(dir.resolve("config.json").toFile());
            } catch (IOException e) {
                return new Refused(1, "OSError: could not write the model to the Hugging Face cache at " + hub + ": " + e.getMessage());
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            if (files.noneMatch(p -> p.getFileName().toString().endsWith(".safetensors") || p.getFileName().toString().endsWith(".bin"))) {
                return new Refused(1, "RuntimeError: Cannot find any model weights with `" + model + "`");
            }
        } catch (IOException e) {
            return new Refused(1, "RuntimeError: Cannot find any model weights with `" + model + "`");
        }

        String declared = config.at("/quantization_config/quant_method").asText("");
        String asked = flags.getOrDefault("--quantization", "");
        if (!asked.isEmpty() && !declared.isEmpty() && !compatible(declared, asked)) {
            return new Refused(1, "ValueError: Quantization method specified in the model config (" + declared + ") does not match the "
                    + "quantization method specified in the `quantization` argument (" + asked + ").");
        }
        if (declared.isEmpty() && (asked.startsWith("awq") || asked.startsWith("gptq"))) {
            return new Refused(1, "ValueError: Cannot find the config file for " + asked.replace("_marlin", ""));
        }
        int heads = config.path("num_attention_heads").asInt(0);
        int tp = integer(flags, "--tensor-parallel-size", 1);
        int pp = integer(flags, "--pipeline-parallel-size", 1);
        if (heads > 0 && heads % tp != 0) {
            return new Refused(1, "ValueError: Total number of attention heads (" + heads + ") must be divisible by tensor parallel size ("
                    + tp + ").");
        }
        if (tp * pp > gpus) {
            return new Refused(1, "ValueError: World size (" + tp * pp + ") is larger than the number of available GPUs (" + gpus
                    + ") in this node. If this is intentional and you are using:\n- ray, set '--distributed-executor-backend ray'.\n"
                    + "- multiprocessing, set '--nnodes' appropriately.");
        }
        int derived = config.path("max_position_embeddings").asInt(8192);
        int maxLen = integer(flags, "--max-model-len", derived);
        if (maxLen > derived && !"1".equals(env.get("VLLM_ALLOW_LONG_MAX_MODEL_LEN"))) {
            return new Refused(1, "pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig\n  Value error, "
                    + "User-specified max_model_len (" + maxLen + ") is greater than the derived max_model_len (max_position_embeddings="
                    + derived + " or model_max_length=None in model's config.json). To allow overriding this maximum, set the env var "
                    + "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1. VLLM_ALLOW_LONG_MAX_MODEL_LEN must be used with extreme caution.");
        }
        String served = flags.getOrDefault("--served-model-name", model);
        ReplicaSettings.Builder b = ReplicaSettings.builder(served).modelRoot(dir.toString()).maxModelLen(maxLen)
                .maxNumSeqs(integer(flags, "--max-num-seqs", 256)).enablePromptTokensDetails(flags.containsKey("--enable-prompt-tokens-details"))
                .embeds("pooling".equals(flags.get("--runner"))).apiKey(flags.get("--api-key"));
        if (flags.containsKey("--enable-auto-tool-choice")) b.toolCallParser(flags.get("--tool-call-parser"));
        return new Serve(b.build(), flags.getOrDefault("--host", "0.0.0.0"), integer(flags, "--port", 8000), dir);
    }

    /** A checkpoint's declared method and the kernel asked for: AWQ weights run on the Marlin kernel too, GPTQ likewise. */
    private static boolean compatible(String declared, String asked) {
        return asked.equals(declared) || asked.equals(declared + "_marlin");
    }

    private static boolean present(String v) {
        return v != null && !v.isBlank();
    }

    private static int integer(Map<String, String> flags, String name, int fallback) {
        String v = flags.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    /**
     * The hub client's cache layout: {@code models--ORG--NAME/refs/main} holds the commit, {@code blobs/} the files by
     * hash, {@code snapshots/COMMIT/} links to them by name. Returns the snapshot directory.
     */
    static Path download(Path hub, Checkpoint c) throws IOException {
        Path repo = hub.resolve("models--" + c.repo().replace("/", "--"));
        String commit = digest("SHA-1", c.repo().getBytes(StandardCharsets.UTF_8));
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (Files.isRegularFile(snapshot.resolve("config.json"))) return snapshot;
        Files.createDirectories(repo.resolve("refs"));
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(snapshot);
        Files.writeString(repo.resolve("refs/main"), commit);
        Map<String, String> files = new java.util.LinkedHashMap<>();
        StringBuilder cfg = new StringBuilder("{\"architectures\":[\"SimulatedForCausalLM\"],\"num_attention_heads\":")
                .append(c.attentionHeads()).append(",\"max_position_embeddings\":").append(c.derivedContext());
        c.quantization().ifPresent(q -> cfg.append(",\"quantization_config\":{\"quant_method\":\"").append(q).append("\",\"bits\":4}"));
        files.put("config.json", cfg.append("}").toString());
        files.put("tokenizer.json", "{\"model\":{\"type\":\"BPE\"}}");
        files.put("model.safetensors", "simulated weights of " + c.repo());
        for (Map.Entry<String, String> f : files.entrySet()) {
            byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
            String hash = digest("SHA-256", bytes);
            Files.write(repo.resolve("blobs").resolve(hash), bytes);
            Path link = snapshot.resolve(f.getKey());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of("../../blobs").resolve(hash));
        }
        return snapshot;
    }

    private static String digest(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
