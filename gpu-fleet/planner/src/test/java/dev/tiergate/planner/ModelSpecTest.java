package dev.tiergate.planner;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ModelSpecTest {

    @Test
    void hubIdsAndWeightPathsNameTheirCatalogueModel() {
        assertThat(ModelSpec.forModelId("meta-llama/Llama-3.3-70B-Instruct")).map(ModelSpec::name).contains("llama-3.3-70b");
        assertThat(ModelSpec.forModelId("meta-llama/Meta-Llama-3.1-8B-Instruct")).map(ModelSpec::name).contains("llama-3.1-8b");
        assertThat(ModelSpec.forModelId("Qwen/Qwen2.5-32B-Instruct-AWQ")).map(ModelSpec::name).contains("qwen2.5-32b");
        assertThat(ModelSpec.forModelId("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4")).map(ModelSpec::name).contains("llama-3.1-8b");
        assertThat(Quantization.named("awq_marlin")).contains(Quantization.AWQ);
        assertThat(Quantization.named("gptq_marlin")).contains(Quantization.GPTQ);
        assertThat(ModelSpec.forModelId("s3://weights/mistral-7b/")).map(ModelSpec::name).contains("mistral-7b");
    }

    @Test
    void aPrefixOfAnotherSizeIsNotAMatch() {
        assertThat(ModelSpec.forModelId("someorg/llama-3.1-80b-instruct")).isEmpty();
        assertThat(ModelSpec.forModelId("someorg/unknown-model")).isEmpty();
    }
}
