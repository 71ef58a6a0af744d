package dev.tiergate.adapters.routing;

import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.routing.Classification;
import dev.tiergate.core.routing.ComplexityClass;
import dev.tiergate.core.routing.ComplexityClassifier;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.RouterModelFile;
import dev.tiergate.core.routing.Scorer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The real model (all-MiniLM-L6-v2, ONNX Runtime), and the shipped router reading it, on prompts outside its training set. */
class PromptEmbeddingModelTest {

    private static PromptEmbeddingModel model;

    @BeforeAll
    static void load() throws Exception {
        model = PromptEmbeddingModel.loadInBackground();
        assertThat(model.awaitReady(Duration.ofSeconds(60))).isTrue();
    }

    private static Classification route(String prompt) {
        RoutingSettings s = new RoutingSettings(Map.of(), RoutingSettings.DEFAULT_MEDIUM_THRESHOLD, RoutingSettings.DEFAULT_COMPLEX_THRESHOLD,
                1.0, 2048, 512, new RoutingSettings.Embedding(true), new RoutingSettings.SelfAssessment(false, "", 0.4, 150), Optional.empty());
        return new ComplexityClassifier(s, new HeuristicScorer(), RouterModelFile.shipped(), Optional.of(model), Optional.empty()).classify(prompt);
    }

    @Test
    void vectorsAreUnitLengthAndCloserForCloserMeanings() {
        float[] a = model.embed("How do I reset my password?").orElseThrow();
        float[] b = model.embed("I forgot my password, how can I change it?").orElseThrow();
        float[] c = model.embed("Write a sonnet about autumn leaves.").orElseThrow();
        assertThat(a).hasSize(model.dimensions());
        assertThat(dot(a, a)).isCloseTo(1.0, within(1e-4));
        assertThat(dot(a, b)).isGreaterThan(dot(a, c));
    }

    @Test
    void theShippedRouterSeparatesLookupsFromWritingFromCode() {
        Classification lookup = route("Which river runs through Vienna?");
        assertThat(lookup.scorer()).isEqualTo(Scorer.HEURISTICS_AND_EMBEDDING);
        assertThat(lookup.complexity()).isEqualTo(ComplexityClass.SIMPLE);
        assertThat(route("Draft a warm welcome message for new members of our choir.").complexity()).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(route("Write a Java method that checks whether a binary tree is balanced.").complexity()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(route("A jar has 5 red and 3 blue marbles; two are drawn without replacement. What is the chance both are red?")
                .probabilities().complex()).isGreaterThan(route("Who founded the city of Rome?").probabilities().complex());
    }

    /** What is asked decides, not what is pasted: a page full of numbers does not make a look-up a calculation. */
    @Test
    void aLookUpOverAPastedPageIsNotACalculationAndACalculationOverOneIs() {
        String notice = "Order 55120 left the Leipzig warehouse on 14 March at 06:40 with 3 parcels, 12.5 kg in total, via DPD, "
                + "tracking 0048 2210 9931; expected on 17 March between 09:00 and 13:00.";
        Classification lookup = route("Based on this shipping notice, which carrier is delivering my order?\n\n" + notice);
        assertThat(lookup.reasons()).contains("prompt:pasted_material");
        assertThat(lookup.complexity()).isEqualTo(ComplexityClass.MEDIUM);
        Classification growth = route("Using the figures below, compute each region's growth rate and say which region will miss the "
                + "15% annual target if the trend holds.\n\nNorth: Q1 120, Q2 131, Q3 140. South: Q1 200, Q2 198, Q3 205.");
        assertThat(growth.reasons()).contains("prompt:pasted_material");
        assertThat(growth.complexity()).isEqualTo(ComplexityClass.COMPLEX);
    }

    @Test
    void blankTextIsNotEmbedded() {
        assertThat(model.embed("   ")).isEmpty();
    }

    /** A gateway stopped while the model loads must not exit under ONNX Runtime's feet: close waits for the loader. */
    @Test
    void closeWaitsForTheLoadInProgressAndEndsIt() throws Exception {
        PromptEmbeddingModel loading = PromptEmbeddingModel.loadInBackground();
        assertThat(loaders()).isEqualTo(1);
        loading.close();
        // Ended, not still running (the @BeforeAll model's loader ended long ago), and closed: it embeds nothing.
        assertThat(loaders()).isZero();
        assertThat(loading.ready()).isFalse();
        assertThat(loading.embed("Which river runs through Vienna?")).isEmpty();
    }

    /** The local stack's model: nothing loads until asked, and the first prompt to embed asks. */
    @Test
    void anUnloadedModelStartsLoadingOnItsFirstPrompt() throws Exception {
        PromptEmbeddingModel lazy = PromptEmbeddingModel.unloaded();
        try {
            assertThat(loaders()).isZero();
            assertThat(lazy.awaitReady(Duration.ofMillis(200))).isFalse();
            // Not loaded yet: the heuristics model routes alone, and the load starts in the background.
            assertThat(lazy.embed("Which river runs through Vienna?")).isEmpty();
            assertThat(lazy.ready()).isFalse();
            assertThat(lazy.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(lazy.embed("Which river runs through Vienna?")).isPresent();
        } finally {
            lazy.close();
        }
    }

    @Test
    void aModelClosedBeforeItsLoadNeverStartsOne() throws Exception {
        PromptEmbeddingModel lazy = PromptEmbeddingModel.unloaded();
        lazy.close();
        lazy.startLoading();
        assertThat(lazy.embed("Which river runs through Vienna?")).isEmpty();
        assertThat(loaders()).isZero();
        assertThat(lazy.awaitReady(Duration.ofMillis(100))).isFalse();
    }

    private static long loaders() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("routing-embeddings") && t.isAlive()).count();
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
