package dev.tiergate.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FleetFilesTest {

    private static final TiergateConfig EXAMPLE = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
    private static final String EXAMPLE_TEXT = read(Path.of("..", "..", "tiergate.yaml"));

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static FleetFiles files(TierConfig t) {
        return files(t, WeightsDisk.INSTANCE_STORE);
    }

    private static FleetFiles files(TierConfig t, WeightsDisk disk) {
        return new FleetFiles(ServingProfile.of(t), "models-bucket", "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
                "eu-west-1", "Tiergate/Fleet", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tiergate/hf-token",
                "tiergate-fleet", disk);
    }

    @Test
    void everyTiersUserDataIsValidBashAndCarriesEveryFlag() throws Exception {
        for (TierConfig t : EXAMPLE.tiers()) {
            if (t.fleet().isEmpty()) continue;
            FleetFiles f = files(t);
            String script = f.userData();
            Path file = Files.createTempFile("user-data-" + t.name(), ".sh");
            Files.writeString(file, script);
            Process p = new ProcessBuilder("bash", "-n", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("bash -n %s: %s", t.name(), out).isZero();
            var v = t.fleet().get().vllm();
            assertThat(script).startsWith("#!/bin/bash\n")
                    .contains("'--served-model-name' '" + t.model() + "'")
                    .contains("'--gpu-memory-utilization' '" + String.format(java.util.Locale.ROOT, "%.2f", v.gpuMemoryUtilization()) + "'")
                    .contains("'--max-model-len' '" + v.maxModelLen() + "'")
                    .contains("'--max-num-seqs' '" + v.maxNumSeqs() + "'")
                    .contains("'--max-num-batched-tokens' '" + v.maxNumBatchedTokens() + "'")
                    .contains("'--tensor-parallel-size' '" + v.tensorParallelSize() + "'")
                    .contains("'--enable-prefix-caching'")
                    .contains("'--enable-prompt-tokens-details'")
                    .contains("MODEL_ID='" + t.fleet().get().modelId() + "'")
                    .contains("s3://models-bucket/models/");
            t.fleet().get().quantization().ifPresent(q -> assertThat(script).contains("'--quantization' '" + q + "'"));
            assertThat(script).doesNotContain("--swap-space");
            // The image's entrypoint is `vllm serve`, whose model is positional (--model is deprecated there).
            assertThat(script).contains("\"$IMAGE\" \"$MODEL_SOURCE\" --host").doesNotContain("--model ");
            v.toolCallParser().ifPresent(parser -> assertThat(script).contains("'--enable-auto-tool-choice'")
                    .contains("'--tool-call-parser' '" + parser + "'"));
        }
    }

    @Test
    void aModelGivenAsAnS3FolderIsReadFromThatFolderAndAHubIdFromTheCache() {
        TierConfig small = EXAMPLE.tierNamed("small");
        ServingProfile hub = ServingProfile.of(small);
        assertThat(hub.ownFolder()).isEmpty();
        assertThat(hub.weightsFolder("models-bucket").uri()).isEqualTo("s3://models-bucket/" + hub.weightsPrefix());
        for (var c : Map.of("s3://own/llama-ft", new ServingProfile.S3Folder("own", "llama-ft/"),
                "s3://own/a/b/", new ServingProfile.S3Folder("own", "a/b/"), "s3://own", new ServingProfile.S3Folder("own", "")).entrySet()) {
            ServingProfile p = new ServingProfile("small", small.model(), c.getKey(), hub.image(), small.fleet().orElseThrow(), false);
            assertThat(p.ownFolder()).contains(c.getValue());
            assertThat(p.weightsFolder("models-bucket")).isEqualTo(c.getValue());
        }
    }

    /** EC2 takes at most 16 KB of user data (before base64): a launch template over it fails at deploy. */
    @Test
    void everyTiersUserDataFitsWhatEc2Accepts() {
        for (TierConfig t : EXAMPLE.tiers()) {
            if (t.fleet().isEmpty()) continue;
            for (WeightsDisk disk : WeightsDisk.values()) {
                int bytes = files(t, disk).userData().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                assertThat(bytes).as(t.name() + " on " + disk).isLessThanOrEqualTo(16 * 1024);
            }
        }
    }

    @Test
    void agentConfigsParseAndPointAtVllmAndAmp() throws Exception {
        TierConfig small = EXAMPLE.tier("small").orElseThrow();
        FleetFiles f = files(small);
        JsonNode cw = new ObjectMapper().readTree(f.cloudWatchAgent());
        JsonNode decl = cw.at("/logs/metrics_collected/prometheus/emf_processor/metric_declaration/0");
        assertThat(decl.at("/dimensions/0/0").asText()).isEqualTo("tier");
        assertThat(decl.get("metric_selectors").toString()).contains("vllm:num_requests_waiting").contains("vllm:kv_cache_usage_perc");
        Map<String, Object> agent = new Yaml().load(f.prometheusAgent());
        @SuppressWarnings("unchecked")
        Map<String, Object> rw = ((List<Map<String, Object>>) agent.get("remote_write")).getFirst();
        assertThat(rw.get("url").toString()).endsWith("/api/v1/remote_write");
        assertThat(rw.get("sigv4")).isEqualTo(Map.of("region", "eu-west-1"));
        Map<String, Object> scrape = new Yaml().load(f.prometheusScrape());
        assertThat(scrape.toString()).contains("127.0.0.1:8000").contains("tier=small");
    }

    @Test
    void quotingSurvivesHostileValues() throws Exception {
        assertThat(FleetFiles.q("it's $(rm -rf /)")).isEqualTo("'it'\"'\"'s $(rm -rf /)'");
        Path file = Files.createTempFile("quote", ".sh");
        Files.writeString(file, "echo " + FleetFiles.q("it's $(touch /tmp/pwned-tiergate) `x`"));
        Process p = new ProcessBuilder("bash", file.toString()).start();
        assertThat(new String(p.getInputStream().readAllBytes()).trim()).isEqualTo("it's $(touch /tmp/pwned-tiergate) `x`");
        assertThat(Path.of("/tmp/pwned-tiergate")).doesNotExist();
    }

    @Test
    void sageMakerEnvironmentMirrorsTheFlags() {
        TierConfig medium = EXAMPLE.tier("medium").orElseThrow();
        Map<String, String> env = ServingProfile.of(medium).sageMakerEnvironment(SageMakerWeights.FROM_HUB);
        assertThat(env).containsEntry("SM_VLLM_MODEL", medium.fleet().get().modelId())
                .containsEntry("SM_VLLM_SERVED_MODEL_NAME", medium.model())
                .containsEntry("SM_VLLM_MAX_MODEL_LEN", Integer.toString(medium.fleet().get().vllm().maxModelLen()))
                .containsEntry("SM_VLLM_ENABLE_PROMPT_TOKENS_DETAILS", "true")
                .containsEntry("SM_VLLM_ENABLE_PREFIX_CACHING", "true");
    }

    /**
     * What the SageMaker container runs, executed: its entrypoint's rule turns the environment into {@code vllm serve}
     * arguments, which must be the EC2 instance's flags (the model by {@code --model}, SageMaker's port), and which the
     * simulator's launch contract accepts as vLLM would.
     */
    @Test
    void theSageMakerContainerRunsTheSameVllmCommandLineAsAnInstance(@org.junit.jupiter.api.io.TempDir Path home) {
        String yaml = EXAMPLE_TEXT.replace("vllm: {gpu_memory_utilization: 0.92, max_model_len: 16384, max_num_seqs: 64",
                "vllm: {enable_prefix_caching: false, gpu_memory_utilization: 0.92, max_model_len: 16384, max_num_seqs: 64");
        assertThat(yaml).contains("enable_prefix_caching: false");
        for (TierConfig t : ConfigLoader.parse(yaml, "t.yaml").tiers()) {
            if (t.fleet().isEmpty()) continue;
            ServingProfile p = ServingProfile.of(t);
            List<String> args = dev.tiergate.sim.VllmLaunch.sageMakerContainerArgs(p.sageMakerEnvironment(SageMakerWeights.FROM_HUB));
            java.util.List<String> expected = new java.util.ArrayList<>(p.flags());
            expected.addAll(List.of("--model", p.modelId(), "--port", "8080"));
            assertThat(pairs(args)).as(t.name()).containsExactlyInAnyOrderElementsOf(pairs(expected));
            if (t.name().equals("medium")) assertThat(args).contains("--no-enable-prefix-caching").doesNotContain("--enable-prefix-caching");
            var outcome = dev.tiergate.sim.VllmLaunch.parse(args, Map.of("HF_TOKEN", "hf_x"), 8, home);
            assertThat(outcome).as(t.name() + ": " + outcome).isInstanceOf(dev.tiergate.sim.VllmLaunch.Serve.class);
            var serve = (dev.tiergate.sim.VllmLaunch.Serve) outcome;
            assertThat(serve.port()).isEqualTo(8080);
            assertThat(serve.settings().servedModelName()).isEqualTo(t.model());
        }
    }

    /**
     * A gated checkpoint on SageMaker, served from the weights cache: the container gets no token, SageMaker has put the
     * cache's files in /opt/ml/model, and vLLM starts from that directory; from the hub without a token it is refused.
     */
    @Test
    void aGatedCheckpointOnSageMakerStartsFromTheCacheSageMakerCopiedWithNoToken(@org.junit.jupiter.api.io.TempDir Path home) throws Exception {
        TierConfig large = EXAMPLE.tierNamed("large");
        ServingProfile p = ServingProfile.of(large);
        int gpus = large.fleet().orElseThrow().vllm().tensorParallelSize();
        var fromHub = dev.tiergate.sim.VllmLaunch.parse(dev.tiergate.sim.VllmLaunch.sageMakerContainerArgs(
                p.sageMakerEnvironment(SageMakerWeights.FROM_HUB)), Map.of(), gpus, home);
        assertThat(fromHub).isInstanceOf(dev.tiergate.sim.VllmLaunch.Refused.class);
        assertThat(fromHub.toString()).contains("gated repo");

        // The cache as an EC2 instance leaves it: the snapshot its vLLM downloaded with the token, flat, links followed;
        // copied where SageMaker puts it.
        Path instanceHome = Files.createDirectories(home.resolve("instance"));
        assertThat(dev.tiergate.sim.VllmLaunch.parse(dev.tiergate.sim.VllmLaunch.sageMakerContainerArgs(p.sageMakerEnvironment(SageMakerWeights.FROM_HUB)),
                Map.of("HF_TOKEN", "hf_x"), gpus, instanceHome)).isInstanceOf(dev.tiergate.sim.VllmLaunch.Serve.class);
        Path snapshot;
        try (var found = Files.find(instanceHome, 8, (f, a) -> f.getFileName().toString().equals("config.json"))) {
            snapshot = found.findFirst().orElseThrow().getParent();
        }
        Path modelDir = Files.createDirectories(home.resolve("opt/ml/model"));
        try (var files = Files.list(snapshot)) {
            for (Path f : files.toList()) Files.copy(f, modelDir.resolve(f.getFileName()));
        }
        Files.writeString(modelDir.resolve(FleetFiles.CACHE_COMPLETE), "done");
        List<String> args = dev.tiergate.sim.VllmLaunch.sageMakerContainerArgs(p.sageMakerEnvironment(SageMakerWeights.FROM_S3));
        assertThat(args).containsSequence("--model", SageMakerWeights.MODEL_DIR);
        List<String> inSandbox = args.stream().map(a -> a.equals(SageMakerWeights.MODEL_DIR) ? modelDir.toString() : a).toList();
        var outcome = dev.tiergate.sim.VllmLaunch.parse(inSandbox, Map.of(), gpus, home);
        assertThat(outcome).as(outcome.toString()).isInstanceOf(dev.tiergate.sim.VllmLaunch.Serve.class);
    }

    /** Flags with their values, as "--flag value" or "--flag". */
    private static List<String> pairs(List<String> args) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            boolean hasValue = i + 1 < args.size() && !args.get(i + 1).startsWith("--");
            out.add(hasValue ? args.get(i) + " " + args.get(++i) : args.get(i));
        }
        return out;
    }

    @Test
    void anEmbeddingTierRunsVllmsPoolingRunnerAndAGenerativeOneDoesNot() {
        TiergateConfig c = ConfigLoader.parse("""
                tiers:
                  - name: embed
                    model: e5-small
                    capabilities: [embeddings]
                    prices_per_million: {input: 0.02, output: 0}
                    fleet: {instance_type: g5.xlarge, model_id: intfloat/e5-small-v2, vllm: {max_model_len: 512}}
                  - name: small
                    model: s
                    prices_per_million: {input: 1, output: 1}
                    fleet: {instance_type: g5.xlarge, model_id: test/small, vllm: {max_model_len: 4096}}
                """, "t.yaml");
        ServingProfile embed = ServingProfile.of(c.tier("embed").orElseThrow());
        assertThat(String.join(" ", embed.flags())).contains("--runner pooling");
        assertThat(embed.sageMakerEnvironment(SageMakerWeights.FROM_HUB)).containsEntry("SM_VLLM_RUNNER", "pooling");
        assertThat(ServingProfile.of(c.tier("small").orElseThrow()).flags()).doesNotContain("--runner");
    }
}
