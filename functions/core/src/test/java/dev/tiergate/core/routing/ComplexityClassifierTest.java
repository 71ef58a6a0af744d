package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

class ComplexityClassifierTest {

    private static RoutingSettings settings(boolean self) {
        return new RoutingSettings(Map.of("simple", "s", "medium", "m", "complex", "l"), 0.35, 0.62, 2048, 512,
                new RoutingSettings.Embedding(true, 0.5), new RoutingSettings.SelfAssessment(self, "s", 0.4, 150), Optional.empty());
    }

    @Test
    void blendsEmbeddingAndSelfRatingThenHeuristics() {
        // A neutral prompt (no signal, heuristic 0.45): embedding says complex (expected 1.0), rating says 5/10.
        ComplexityScorer embedding = text -> Optional.of(new ClassScores(0, 0, 1));
        SelfAssessment rating = (prompt, timeout) -> OptionalDouble.of(5);
        Classification c = new ComplexityClassifier(settings(true), new HeuristicScorer(), Optional.of(embedding), Optional.of(rating))
                .classify("The lighthouse keeper and the storm that came in October");
        // learned = 0.6 * 1.0 + 0.4 * 0.5 = 0.8; combined = 0.5 * 0.45 + 0.5 * 0.8 = 0.625
        assertThat(c.score()).isEqualTo(0.625);
        assertThat(c.complexity()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(c.reasons()).contains("embedding:complex=1.00", "self_rating=5");
    }

    @Test
    void lateOrMissingOpinionsAreLeftOutNotFatal() {
        ComplexityScorer notReady = text -> Optional.empty();
        SelfAssessment late = (prompt, timeout) -> OptionalDouble.empty();
        Classification c = new ComplexityClassifier(settings(true), new HeuristicScorer(), Optional.of(notReady), Optional.of(late))
                .classify("The lighthouse keeper and the storm that came in October");
        assertThat(c.reasons()).contains("embedding:not_ready", "self_rating:left_out");
        assertThat(c.score()).isEqualTo(0.45);
        assertThat(c.complexity()).isEqualTo(ComplexityClass.MEDIUM);
    }

    @Test
    void aDecisionSaysWhatScoredItAndTheClassifierWhetherItsModelIsReady() {
        java.util.concurrent.atomic.AtomicBoolean loaded = new java.util.concurrent.atomic.AtomicBoolean(false);
        ComplexityScorer model = new ComplexityScorer() {
            @Override
            public Optional<ClassScores> score(String text) {
                return loaded.get() ? Optional.of(new ClassScores(0.1, 0.8, 0.1)) : Optional.empty();
            }

            @Override
            public boolean ready() {
                return loaded.get();
            }
        };
        ComplexityClassifier c = new ComplexityClassifier(settings(false), new HeuristicScorer(), Optional.of(model), Optional.empty());
        String prompt = "The lighthouse keeper and the storm that came in October";
        assertThat(c.modelState()).isEqualTo(RoutingModelState.LOADING);
        assertThat(c.classify(prompt).scorer()).isEqualTo(Scorer.HEURISTICS);

        loaded.set(true);
        assertThat(c.modelState()).isEqualTo(RoutingModelState.READY);
        assertThat(c.classify(prompt).scorer()).isEqualTo(Scorer.HEURISTICS_AND_EMBEDDING);
        // A forced trigger needs no model: the heuristics decided.
        assertThat(c.classify("Write a Python function that parses a CSV file.").scorer()).isEqualTo(Scorer.HEURISTICS);

        ComplexityClassifier off = new ComplexityClassifier(settings(false), new HeuristicScorer(), Optional.empty(), Optional.empty());
        assertThat(off.modelState()).isEqualTo(RoutingModelState.OFF);
        assertThat(off.classify(prompt).scorer()).isEqualTo(Scorer.HEURISTICS);
    }

    @Test
    void forcedTriggersWinAndExplicitIntentBoundsTheLearnedScore() {
        ComplexityScorer saysSimple = text -> Optional.of(new ClassScores(1, 0, 0));
        ComplexityClassifier c = new ComplexityClassifier(settings(false), new HeuristicScorer(), Optional.of(saysSimple), Optional.empty());
        Classification code = c.classify("Implement a binary heap in Java.");
        assertThat(code.complexity()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(code.confidence()).isEqualTo(1.0);
        Classification poem = c.classify("Write a short poem about rain, please, for my grandmother.");
        assertThat(poem.complexity()).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(poem.reasons()).doesNotContain("embedding:simple=0.00");
    }

}
