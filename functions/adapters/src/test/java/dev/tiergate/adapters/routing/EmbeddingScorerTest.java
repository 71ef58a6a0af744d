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
        assertThat(loaders()).isEqualTo(1);
        loading.close();
        // Ended, not still running (the @BeforeAll scorer's loader ended long ago), and it never became ready.
        assertThat(loaders()).isZero();
        assertThat(loading.awaitReady(Duration.ZERO)).isFalse();
        assertThat(loading.score("Which river runs through Vienna?")).isEmpty();
    }

    /** The local stack's scorer: nothing loads until asked, and the first prompt to score asks. */
    @Test
    void anUnloadedScorerStartsLoadingOnItsFirstPrompt() throws Exception {
        EmbeddingScorer lazy = EmbeddingScorer.unloaded();
        try {
            assertThat(loaders()).isZero();
            assertThat(lazy.awaitReady(Duration.ofMillis(200))).isFalse();
            // Not loaded yet: the heuristics route alone, and the load starts in the background.
            assertThat(lazy.score("Which river runs through Vienna?")).isEmpty();
            assertThat(lazy.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(lazy.score("Which river runs through Vienna?").orElseThrow().best()).isEqualTo(ComplexityClass.SIMPLE);
        } finally {
            lazy.close();
        }
    }

    @Test
    void aScorerClosedBeforeItsLoadNeverStartsOne() throws Exception {
        EmbeddingScorer lazy = EmbeddingScorer.unloaded();
        lazy.close();
        lazy.startLoading();
        assertThat(lazy.score("Which river runs through Vienna?")).isEmpty();
        assertThat(loaders()).isZero();
        assertThat(lazy.awaitReady(Duration.ofMillis(100))).isFalse();
    }

    private static long loaders() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("routing-embeddings") && t.isAlive()).count();
    }
}
