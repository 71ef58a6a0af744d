package dev.tiergate.planner;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CapacityPlannerTest {

    private static ModelSpec model(String n) {
        return ModelSpec.named(n).orElseThrow();
    }

    @Test
    void kvCacheBytesPerTokenMatchPublishedFigures() {
        // Mistral-7B: 32 layers, 8 KV heads of 128 dims, FP16: 2 × 32 × 8 × 128 × 2 = 128 KiB a token.
        assertThat(model("mistral-7b").kvBytesPerToken(Quantization.FP16)).isEqualTo(128 * 1024);
        // Llama-3.3-70B: 80 layers, 8 KV heads: 320 KiB a token.
        assertThat(model("llama-3.3-70b").kvBytesPerToken(Quantization.FP16)).isEqualTo(320 * 1024);
        // Qwen2.5-7B has 4 KV heads and 28 layers: 56 KiB.
        assertThat(model("qwen2.5-7b").kvBytesPerToken(Quantization.FP16)).isEqualTo(56 * 1024);
    }

    @Test
    void weightMemoryFollowsTheQuantization() {
        assertThat(CapacityPlanner.weightsGiB(model("llama-3.1-8b"), Quantization.FP16)).isCloseTo(14.96, within(0.01));
        // AWQ keeps the embeddings and lm_head (128,256 × 4,096 each) in FP16: 6.98 B × 0.5625 + 1.05 B × 2 bytes.
        assertThat(CapacityPlanner.weightsGiB(model("llama-3.1-8b"), Quantization.AWQ)).isCloseTo(5.61, within(0.01));
        assertThat(CapacityPlanner.weightsGiB(model("llama-3.3-70b"), Quantization.FP8)).isCloseTo(65.75, within(0.01));
    }

    @Test
    void aSeventyBillionModelInFp16DoesNotFitOneTwentyFourGigabyteGpu() {
        CapacityPlanner.Fit f = CapacityPlanner.fit(model("llama-3.3-70b"), Quantization.FP16, InstanceType.named("g5.xlarge").orElseThrow(), 8192, 1, 0.92);
        assertThat(f.fits()).isFalse();
        assertThat(f.reason()).contains("131.5 GiB", "g5.xlarge");
    }

    @Test
    void anEightBillionModelFitsAnA10gWithRoomForConcurrency() {
        CapacityPlanner.Fit f = CapacityPlanner.fit(model("llama-3.1-8b"), Quantization.AWQ, InstanceType.named("g5.xlarge").orElseThrow(), 8192, 8, 0.92);
        assertThat(f.fits()).isTrue();
        // 22.5 GiB (what an A10G exposes) × 0.92 − 5.61 − 1.5 = 13.59 GiB of KV at 128 KiB a token: ~111k tokens,
        // 13 sequences of 8,192.
        assertThat(f.concurrencyAtContext()).isEqualTo(13);
        CapacityPlanner.Fit tooMany = CapacityPlanner.fit(model("llama-3.1-8b"), Quantization.AWQ, InstanceType.named("g5.xlarge").orElseThrow(), 8192, 64, 0.92);
        assertThat(tooMany.fits()).isFalse();
        assertThat(tooMany.reason()).contains("fewer than the 64 asked for");
    }

    @Test
    void theCheapestFittingInstanceIsChosen() {
        CapacityPlanner.Fit f = CapacityPlanner.cheapest(model("llama-3.3-70b"), Quantization.FP8, 16384, 16, 0.92, false).orElseThrow();
        assertThat(f.fits()).isTrue();
        for (InstanceType i : InstanceType.CATALOGUE) {
            if (!i.sagemaker() && i.usdPerHour() < f.instance().usdPerHour()) {
                assertThat(CapacityPlanner.fit(model("llama-3.3-70b"), Quantization.FP8, i, 16384, 16, 0.92).fits()).as(i.name()).isFalse();
            }
        }
    }

    @Test
    void contextOverTheModelsMaximumDoesNotFit() {
        CapacityPlanner.Fit f = CapacityPlanner.fit(model("mistral-7b"), Quantization.FP16, InstanceType.named("p5.48xlarge").orElseThrow(), 65536, 1, 0.92);
        assertThat(f.fits()).isFalse();
        assertThat(f.reason()).contains("maximum of 32768");
    }

    @Test
    void monthlyCostComparesSelfHostedWithHosted() {
        double[] c = CapacityPlanner.monthlyCost(InstanceType.named("g5.xlarge").orElseThrow(), 2, new CapacityPlanner.Traffic(100_000, 500, 200), 3.0, 15.0);
        assertThat(c[0]).isCloseTo(1.006 * 730 * 2, within(1e-6));
        // 3M requests a month × (500 × $3 + 200 × $15) per million tokens = $13,500
        assertThat(c[1]).isCloseTo(13_500, within(1e-6));
    }

    @Test
    void tensorParallelismPlacesTheModelOnItsGpusOnly() {
        InstanceType p4d = InstanceType.named("p4d.24xlarge").orElseThrow();
        CapacityPlanner.Fit all = CapacityPlanner.fit(model("llama-3.3-70b"), Quantization.FP8, p4d, 32768, 1, 0.90);
        CapacityPlanner.Fit four = CapacityPlanner.fit(model("llama-3.3-70b"), Quantization.FP8, p4d, 32768, 1, 0.90, 4);
        assertThat(four.fits()).isTrue();
        assertThat(four.kvBudgetGiB()).isLessThan(all.kvBudgetGiB() / 2);
        // 4 × 39.6 × 0.9 − 65.75 − 6 = 70.8 GiB of KV cache on the four GPUs it uses.
        assertThat(four.kvBudgetGiB()).isCloseTo(70.8, within(0.1));
        CapacityPlanner.Fit tooMany = CapacityPlanner.fit(model("llama-3.3-70b"), Quantization.FP8, InstanceType.named("g6e.xlarge").orElseThrow(),
                8192, 1, 0.9, 4);
        assertThat(tooMany.fits()).isFalse();
        assertThat(tooMany.reason()).contains("needs 4 GPUs; g6e.xlarge has 1");
    }

    @Test
    void qwenTwoPointFivesContextIsWhatItsConfigSaysNotWhatYarnCouldStretch() {
        assertThat(model("qwen2.5-32b").maxContext()).isEqualTo(32_768);
        CapacityPlanner.Fit f = CapacityPlanner.fit(model("qwen2.5-32b"), Quantization.AWQ, InstanceType.named("g6e.xlarge").orElseThrow(), 65536, 1, 0.9);
        assertThat(f.reason()).contains("maximum of 32768");
    }

    @Test
    void aCheckpointAcceptsItsOwnQuantizationItsMarlinKernelOrFp8AtLoad() {
        Checkpoint full = Checkpoint.of("meta-llama/Llama-3.1-8B-Instruct").orElseThrow();
        Checkpoint awq = Checkpoint.of("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4").orElseThrow();
        assertThat(full.accepts(java.util.Optional.of("awq"))).isFalse();
        assertThat(full.accepts(java.util.Optional.of("fp8"))).isTrue();
        assertThat(full.accepts(java.util.Optional.empty())).isTrue();
        assertThat(awq.accepts(java.util.Optional.of("awq_marlin"))).isTrue();
        assertThat(awq.accepts(java.util.Optional.of("gptq"))).isFalse();
        for (Checkpoint c : Checkpoint.CATALOGUE) assertThat(ModelSpec.named(c.family())).as(c.repo()).isPresent();
    }
}
