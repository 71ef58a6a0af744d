package dev.tiergate.planner;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ModelSpecTest {

    @Test
    void hubIdsAndWeightPathsNameTheirCatalogueModel() {
        assertThat(ModelSpec.forModelId("meta-llama/Llama-3.3-70B-Instruct")).map(ModelSpec::name).contains("llama-3.3-70b");
        assertThat(ModelSpec.forModelId("meta-llama/Meta-Llama-3.1-8B-Instruct")).map(ModelSpec::name).contains("llama-3.1-8b");
        assertThat(ModelSpec.forModelId("Qwen/Qwen2.5-32B-Instruct-AWQ")).map(ModelSpec::name).contains("qwen2.5-32b");
        assertThat(ModelSpec.forModelId("s3://weights/mistral-7b/")).map(ModelSpec::name).contains("mistral-7b");
    }

    @Test
    void aPrefixOfAnotherSizeIsNotAMatch() {
        assertThat(ModelSpec.forModelId("someorg/llama-3.1-80b-instruct")).isEmpty();
        assertThat(ModelSpec.forModelId("someorg/unknown-model")).isEmpty();
    }
}
