package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.ports.PromptEmbedder;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ComplexityClassifierTest {

    private static final TrainedRouter SHIPPED = RouterModelFile.shipped();

    private static RoutingSettings settings(double medium, double complex, double bias, boolean self) {
        return new RoutingSettings(Map.of("simple", "s", "medium", "m", "complex", "l"), medium, complex, bias, 2048, 512,
                new RoutingSettings.Embedding(true), new RoutingSettings.SelfAssessment(self, "s", 0.4, 150), Optional.empty());
    }

    private static RoutingSettings defaults() {
        return settings(RoutingSettings.DEFAULT_MEDIUM_THRESHOLD, RoutingSettings.DEFAULT_COMPLEX_THRESHOLD, 1.0, false);
    }

    /** A 384-dimensional stand-in for the embedding model that counts its calls and can be "still loading". */
    private static final class CountingEmbedder implements PromptEmbedder {
        final AtomicBoolean loaded = new AtomicBoolean(true);
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Optional<float[]> embed(String text) {
            calls.incrementAndGet();
            if (!loaded.get()) return Optional.empty();
            float[] v = new float[384];
            for (String w : text.toLowerCase(Locale.ROOT).split("\\W+")) if (!w.isEmpty()) v[Math.floorMod(w.hashCode(), 384)] += 1;
            return Optional.of(v);
        }

        @Override
        public int dimensions() {
            return 384;
        }

        @Override
        public boolean ready() {
            return loaded.get();
        }
    }

    @Test
    void thresholdsAreProbabilitiesAndTheQualityBiasScalesTheirOdds() {
        ClassScores p = new ClassScores(0.5, 0.3, 0.2);
        // P(complex) 0.2 < 0.3; P(medium or complex) 0.5 >= 0.5.
        assertThat(ComplexityClassifier.decide(p, false, false, settings(0.5, 0.3, 1.0, false))).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(ComplexityClassifier.decide(p, false, false, settings(0.6, 0.3, 1.0, false))).isEqualTo(ComplexityClass.SIMPLE);
        // Twice the weight on quality: the complex threshold's odds halve, 0.3 -> 0.3 / (0.3 + 0.7 * 2) = 0.176.
        RoutingSettings quality = settings(0.5, 0.3, 2.0, false);
        assertThat(quality.effective(0.3)).isCloseTo(0.1765, org.assertj.core.data.Offset.offset(0.0001));
        assertThat(ComplexityClassifier.decide(p, false, false, quality)).isEqualTo(ComplexityClass.COMPLEX);
        // Half the weight: 0.5 -> 0.667, so the same prompt stays simple.
        assertThat(ComplexityClassifier.decide(p, false, false, settings(0.5, 0.3, 0.5, false))).isEqualTo(ComplexityClass.SIMPLE);
        // Tools lift simple to medium, never lower complex; a trigger forces complex.
        ClassScores lookup = new ClassScores(0.9, 0.08, 0.02);
        assertThat(ComplexityClassifier.decide(lookup, false, true, defaults())).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(ComplexityClassifier.decide(lookup, true, false, defaults())).isEqualTo(ComplexityClass.COMPLEX);
    }

    @Test
    void aDecisionSaysWhatScoredItAndTheClassifierWhetherItsModelIsReady() {
        CountingEmbedder model = new CountingEmbedder();
        model.loaded.set(false);
        ComplexityClassifier c = new ComplexityClassifier(defaults(), new HeuristicScorer(), SHIPPED, Optional.of(model), Optional.empty());
        String prompt = "The lighthouse keeper and the storm that came in October";
        assertThat(c.modelState()).isEqualTo(RoutingModelState.LOADING);
        Classification loading = c.classify(prompt);
        assertThat(loading.scorer()).isEqualTo(Scorer.HEURISTICS);
        assertThat(loading.reasons()).contains("embedding:not_ready");

        model.loaded.set(true);
        assertThat(c.modelState()).isEqualTo(RoutingModelState.READY);
        Classification ready = c.classify(prompt);
        assertThat(ready.scorer()).isEqualTo(Scorer.HEURISTICS_AND_EMBEDDING);
        ClassScores p = ready.probabilities();
        assertThat(p.simple() + p.medium() + p.complex()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ready.reasons()).anyMatch(r -> r.startsWith("model:simple="));

        ComplexityClassifier off = new ComplexityClassifier(defaults(), new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.empty());
        assertThat(off.modelState()).isEqualTo(RoutingModelState.OFF);
        assertThat(off.classify(prompt).scorer()).isEqualTo(Scorer.HEURISTICS);
    }

    @Test
    void aMeasuredTriggerDecidesWithoutAskingTheEmbeddingModel() {
        // Training keeps a trigger only where held-out folds say it helps (the shipped model may keep none): this is
        // the mechanism, with a model that keeps one.
        TrainedRouter forcing = new TrainedRouter(SHIPPED.withEmbedding(), SHIPPED.heuristicsOnly(), java.util.Set.of("code:syntax"),
                SHIPPED.embedHeadChars(), SHIPPED.embedTailChars());
        CountingEmbedder model = new CountingEmbedder();
        ComplexityClassifier c = new ComplexityClassifier(defaults(), new HeuristicScorer(), forcing, Optional.of(model), Optional.empty());
        Classification d = c.classify("Tidy this up:\n```\nx=1\n```");
        assertThat(d.complexity()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(d.reasons()).contains("forced:code:syntax");
        assertThat(d.confidence()).isEqualTo(1.0);
        assertThat(model.calls.get()).isZero();

        TrainedRouter none = new TrainedRouter(SHIPPED.withEmbedding(), SHIPPED.heuristicsOnly(), java.util.Set.of(),
                SHIPPED.embedHeadChars(), SHIPPED.embedTailChars());
        Classification unforced = new ComplexityClassifier(defaults(), new HeuristicScorer(), none, Optional.of(model), Optional.empty())
                .classify("Tidy this up:\n```\nx=1\n```");
        assertThat(unforced.reasons()).noneMatch(r -> r.startsWith("forced:"));
        assertThat(model.calls.get()).isEqualTo(1);
    }

    @Test
    void aFollowUpIsRoutedOnTheConversationANewQuestionOnItself() {
        ComplexityClassifier c = new ComplexityClassifier(defaults(), new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.empty());
        String task = "Write a Python function that removes duplicates from a list while keeping the order, with unit tests.";
        Classification alone = c.classify("Now do it for 10 items.");
        Classification followUp = c.classify(new RoutingText("Now do it for 10 items.", task, false));
        assertThat(followUp.reasons()).contains("conversation:follow_up");
        assertThat(followUp.complexity()).isEqualTo(ComplexityClass.COMPLEX);
        assertThat(alone.complexity()).isNotEqualTo(ComplexityClass.COMPLEX);
        // A closing remark or a self-contained question after the task is not a follow-up.
        assertThat(new RoutingText("ok thanks, bye", task, false).followUp()).isFalse();
        assertThat(new RoutingText("Who wrote Hamlet?", task, false).followUp()).isFalse();
        assertThat(new RoutingText("and in French?", "Translate 'good morning' into Spanish.", false).followUp()).isTrue();
        assertThat(new RoutingText("Now do it for 10 items.", "", false).followUp()).isFalse();
        // A short instruction that edits the earlier answer continues it; a new task in as few words does not.
        String query = "Write a SQL query for the average salary by department.";
        assertThat(new RoutingText("Only include departments with more than 10 employees.", query, false).followUp()).isTrue();
        assertThat(new RoutingText("Support ISBN-13 too.", "Write a Java method that validates an ISBN-10.", false).followUp()).isTrue();
        assertThat(new RoutingText("Write a haiku about the sea.", query, false).followUp()).isFalse();
        assertThat(new RoutingText("Additionally useless words", query, false).followUp()).isFalse();
    }

    @Test
    void toolsMakeALookupAtLeastMediumAndSaySo() {
        ComplexityClassifier c = new ComplexityClassifier(defaults(), new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.empty());
        assertThat(c.classify("What is the capital of France?").complexity()).isEqualTo(ComplexityClass.SIMPLE);
        Classification withTools = c.classify(new RoutingText("What is the capital of France?", "", true));
        assertThat(withTools.complexity()).isEqualTo(ComplexityClass.MEDIUM);
        assertThat(withTools.reasons()).contains("tools:at_least_medium");
    }

    @Test
    void aSelfRatingIsBlendedIntoTheProbabilitiesByItsWeight() {
        SelfAssessment nine = (prompt, timeout) -> OptionalDouble.of(9);
        SelfAssessment late = (prompt, timeout) -> OptionalDouble.empty();
        String prompt = "What is the capital of France?";
        Classification model = new ComplexityClassifier(defaults(), new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.empty())
                .classify(prompt);
        RoutingSettings rated = settings(RoutingSettings.DEFAULT_MEDIUM_THRESHOLD, RoutingSettings.DEFAULT_COMPLEX_THRESHOLD, 1.0, true);
        Classification blended = new ComplexityClassifier(rated, new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.of(nine)).classify(prompt);
        assertThat(blended.probabilities().complex()).isCloseTo(0.6 * model.probabilities().complex() + 0.4, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(blended.reasons()).contains("self_rating=9");
        Classification left = new ComplexityClassifier(rated, new HeuristicScorer(), SHIPPED, Optional.empty(), Optional.of(late)).classify(prompt);
        assertThat(left.reasons()).contains("self_rating:left_out");
        assertThat(left.probabilities()).isEqualTo(model.probabilities());
    }

    @Test
    void theModelFileRoundTripsAndRefusesWeightsForOtherFeatures() {
        com.fasterxml.jackson.databind.node.ObjectNode json = RouterModelFile.write(SHIPPED, new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode());
        TrainedRouter back = RouterModelFile.read(json);
        double[] x = RoutingFeatures.score("Explain how tides work.", new HeuristicScorer(), RoutingText.of("Explain how tides work.")).features();
        assertThat(back.heuristicsOnly().probabilities(x)).isEqualTo(SHIPPED.heuristicsOnly().probabilities(x));
        assertThat(back.forcedComplex()).isEqualTo(SHIPPED.forcedComplex());

        ((com.fasterxml.jackson.databind.node.ArrayNode) json.path("models").path("heuristics_only").path("features")).set(0,
                com.fasterxml.jackson.databind.node.TextNode.valueOf("signal:something_else"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RouterModelFile.read(json))
                .hasMessageContaining("retrain");
        json.put("format", 99);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RouterModelFile.read(json)).hasMessageContaining("format 99");
    }
}
