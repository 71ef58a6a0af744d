package dev.tiergate.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code vllm serve} as the simulator reads it: each refusal vLLM makes at start, in its words, and what starts. */
class VllmLaunchTest {

    @TempDir
    Path home;

    private static final Map<String, String> TOKEN = Map.of("HF_TOKEN", "hf_test");

    private VllmLaunch.Outcome serve(Map<String, String> env, int gpus, String... args) {
        return VllmLaunch.parse(List.of(args), env, gpus, home);
    }

    private static String refusal(VllmLaunch.Outcome o) {
        assertThat(o).isInstanceOf(VllmLaunch.Refused.class);
        return ((VllmLaunch.Refused) o).message();
    }

    @Test
    void aHubModelStartsAndLandsInTheHubCacheLayout() throws Exception {
        VllmLaunch.Outcome o = serve(Map.of(), 1, "Qwen/Qwen2.5-7B-Instruct", "--served-model-name", "small", "--max-model-len", "8192",
                "--port", "8123", "--enable-prompt-tokens-details");
        assertThat(o).isInstanceOfSatisfying(VllmLaunch.Serve.class, s -> {
            assertThat(s.settings().servedModelName()).isEqualTo("small");
            assertThat(s.settings().maxModelLen()).isEqualTo(8192);
            assertThat(s.port()).isEqualTo(8123);
            assertThat(s.modelDir().toString()).contains(".cache/huggingface/hub/models--Qwen--Qwen2.5-7B-Instruct/snapshots/");
        });
        Path snapshot = ((VllmLaunch.Serve) o).modelDir();
        assertThat(Files.isSymbolicLink(snapshot.resolve("config.json"))).isTrue();
        // The snapshot is not where the repository's root is: a copy of the cache's root has no config.json at its top.
        assertThat(home.resolve(".cache/huggingface/config.json")).doesNotExist();
    }

    @Test
    void anUnknownFlagIsArgparsesExitTwo() {
        VllmLaunch.Outcome o = serve(Map.of(), 1, "Qwen/Qwen2.5-7B-Instruct", "--max-model-length", "8192");
        assertThat(((VllmLaunch.Refused) o).exitCode()).isEqualTo(2);
        assertThat(refusal(o)).contains("vllm: error: unrecognized arguments: --max-model-length 8192");
    }

    @Test
    void aLocalDirectoryWithoutConfigJsonIsNotAModel() throws Exception {
        Path dir = Files.createDirectories(home.resolve("models/current/hub"));
        assertThat(refusal(serve(Map.of(), 1, home.resolve("models/current").toString())))
                .contains("Invalid repository ID or local directory specified: '" + home.resolve("models/current") + "'");
    }

    @Test
    void aLocalDirectoryWithAConfigButNoWeightsFailsAtWeightLoad() throws Exception {
        Path dir = Files.createDirectories(home.resolve("flat"));
        Files.writeString(dir.resolve("config.json"), "{\"num_attention_heads\":32,\"max_position_embeddings\":4096}");
        assertThat(refusal(serve(Map.of(), 1, dir.toString()))).contains("Cannot find any model weights with `" + dir + "`");
        Files.writeString(dir.resolve("model.safetensors"), "w");
        assertThat(serve(Map.of(), 1, dir.toString())).isInstanceOf(VllmLaunch.Serve.class);
    }

    @Test
    void awqOnFullPrecisionWeightsHasNoConfigFileButFp8QuantizesAtLoad() {
        assertThat(refusal(serve(TOKEN, 1, "meta-llama/Llama-3.1-8B-Instruct", "--quantization", "awq")))
                .contains("Cannot find the config file for awq");
        assertThat(serve(TOKEN, 1, "meta-llama/Llama-3.1-8B-Instruct", "--quantization", "fp8")).isInstanceOf(VllmLaunch.Serve.class);
        assertThat(serve(Map.of(), 1, "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "--quantization", "awq_marlin"))
                .isInstanceOf(VllmLaunch.Serve.class);
        assertThat(refusal(serve(Map.of(), 1, "Qwen/Qwen2.5-32B-Instruct-AWQ", "--quantization", "gptq")))
                .contains("Quantization method specified in the model config (awq) does not match the quantization method specified "
                        + "in the `quantization` argument (gptq).");
    }

    @Test
    void aGatedRepositoryNeedsAToken() {
        assertThat(refusal(serve(Map.of(), 1, "meta-llama/Llama-3.1-8B-Instruct")))
                .contains("You are trying to access a gated repo").contains("https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct");
        assertThat(serve(TOKEN, 1, "meta-llama/Llama-3.1-8B-Instruct")).isInstanceOf(VllmLaunch.Serve.class);
        assertThat(serve(Map.of(), 1, "meta-llama/Llama-3.1-8B-Instruct", "--hf-token", "hf_x")).isInstanceOf(VllmLaunch.Serve.class);
    }

    @Test
    void tensorParallelismMustDivideTheHeadsAndFitTheGpus() {
        assertThat(refusal(serve(Map.of(), 8, "Qwen/Qwen2.5-32B-Instruct", "--tensor-parallel-size", "3")))
                .contains("Total number of attention heads (40) must be divisible by tensor parallel size (3).");
        assertThat(refusal(serve(TOKEN, 1, "meta-llama/Llama-3.3-70B-Instruct", "--tensor-parallel-size", "4")))
                .contains("World size (4) is larger than the number of available GPUs (1) in this node.");
        assertThat(serve(TOKEN, 4, "meta-llama/Llama-3.3-70B-Instruct", "--tensor-parallel-size", "4", "--max-model-len", "32768"))
                .isInstanceOf(VllmLaunch.Serve.class);
    }

    @Test
    void aContextLongerThanTheModelDerivesIsAValidationError() {
        assertThat(refusal(serve(Map.of(), 1, "Qwen/Qwen2.5-32B-Instruct-AWQ", "--max-model-len", "131072")))
                .contains("User-specified max_model_len (131072) is greater than the derived max_model_len (max_position_embeddings=32768");
        assertThat(serve(Map.of("VLLM_ALLOW_LONG_MAX_MODEL_LEN", "1"), 1, "Qwen/Qwen2.5-32B-Instruct-AWQ", "--max-model-len", "131072"))
                .isInstanceOf(VllmLaunch.Serve.class);
    }

    @Test
    void aRepositoryTheHubDoesNotHaveIsNotAModel() {
        assertThat(refusal(serve(Map.of(), 1, "nobody/no-such-model"))).contains("is not a valid model identifier");
    }
}
