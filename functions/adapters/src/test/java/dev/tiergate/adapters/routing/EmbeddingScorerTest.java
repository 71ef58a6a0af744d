package dev.tiergate.adapters.routing;

import dev.tiergate.core.routing.ClassScores;
import dev.tiergate.core.routing.ComplexityClass;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The real model (all-MiniLM-L6-v2, ONNX Runtime) on prompts that are not among its examples. */
class EmbeddingScorerTest {

    private static EmbeddingScorer scorer;

    @BeforeAll
    static void load() throws Exception {
        scorer = EmbeddingScorer.loadInBackground();
        assertThat(scorer.awaitReady(Duration.ofSeconds(60))).isTrue();
    }

    private static ClassScores score(String text) {
        return scorer.score(text).orElseThrow();
    }

    @Test
    void votesAreProbabilities() {
        ClassScores s = score("Tell me about volcanoes.");
        assertThat(s.simple() + s.medium() + s.complex()).isCloseTo(1.0, within(1e-9));
        assertThat(s.expected()).isBetween(0.0, 1.0);
    }

    @Test
    void separatesLookupsFromWritingFromReasoning() {
        assertThat(score("Which river runs through Vienna?").best()).isEqualTo(ComplexityClass.SIMPLE);
        assertThat(score("Draft a warm welcome message for new members of our hiking club.").best()).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(score("Write a Java method that checks whether a binary tree is balanced.").best()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(score("A jar has 5 red and 3 blue marbles; two are drawn without replacement. What is the chance both are red?").expected())
                .isGreaterThan(score("Who founded the city of Rome?").expected());
    }

    @Test
    void blankTextIsNotScored() {
        assertThat(scorer.score("   ")).isEmpty();
    }

    /** A gateway stopped while the model loads must not exit under ONNX Runtime's feet: close waits for the loader. */
    @Test
    void closeWaitsForTheLoadInProgressAndEndsIt() throws Exception {
        EmbeddingScorer loading = EmbeddingScorer.loadInBackground();
        loading.close();
        // Finished, not still running: a close that did not wait would leave awaitReady timing out (false) here.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loading.awaitReady(Duration.ZERO))
                .isInstanceOf(IllegalStateException.class)
                .hasRootCauseInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(loading.score("Which river runs through Vienna?")).isEmpty();
    }
}
