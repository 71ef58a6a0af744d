package dev.tiergate.core.routing;

import org.junit.jupiter.api.Test;

import static dev.tiergate.core.routing.ComplexityClass.COMPLEX;
import static dev.tiergate.core.routing.ComplexityClass.MEDIUM;
import static dev.tiergate.core.routing.ComplexityClass.SIMPLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RoutingEvaluationTest {

    @Test
    void calibrationComparesEachBinsConfidenceWithItsAccuracy() {
        RoutingEvaluation e = new RoutingEvaluation();
        // Ten prompts at 0.95 for simple, nine of them simple: confidence 0.95, accuracy 0.9.
        for (int i = 0; i < 10; i++) e.addProbabilities(i < 9 ? SIMPLE : MEDIUM, new ClassScores(0.95, 0.03, 0.02));
        // Ten at 0.55 for complex, all complex: confidence 0.55, accuracy 1.0.
        for (int i = 0; i < 10; i++) e.addProbabilities(COMPLEX, new ClassScores(0.2, 0.25, 0.55));
        assertThat(e.reliability()).hasSize(2);
        RoutingEvaluation.ReliabilityBin low = e.reliability().getFirst();
        assertThat(low.low()).isEqualTo(0.5);
        assertThat(low.prompts()).isEqualTo(10);
        assertThat(low.meanConfidence()).isCloseTo(0.55, within(1e-9));
        assertThat(low.accuracy()).isEqualTo(1.0);
        // (10 x |0.95 - 0.9| + 10 x |0.55 - 1.0|) / 20 = (0.5 + 4.5) / 20
        assertThat(e.calibrationError()).isCloseTo(0.25, within(1e-9));
        assertThat(new RoutingEvaluation().calibrationError()).isZero();
    }

    @Test
    void metricsOfAKnownConfusionMatrix() {
        RoutingEvaluation e = new RoutingEvaluation();
        // simple: 3 right, 1 sent to medium; medium: 2 right, 1 to complex; complex: 3 right, 1 to simple
        for (int i = 0; i < 3; i++) e.add(SIMPLE, SIMPLE);
        e.add(SIMPLE, MEDIUM);
        for (int i = 0; i < 2; i++) e.add(MEDIUM, MEDIUM);
        e.add(MEDIUM, COMPLEX);
        for (int i = 0; i < 3; i++) e.add(COMPLEX, COMPLEX);
        e.add(COMPLEX, SIMPLE);
        assertThat(e.total()).isEqualTo(11);
        assertThat(e.accuracy()).isCloseTo(8 / 11.0, within(1e-9));
        assertThat(e.precision(SIMPLE)).isCloseTo(0.75, within(1e-9));
        assertThat(e.recall(MEDIUM)).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(e.f1(COMPLEX)).isCloseTo(0.75, within(1e-9));
        assertThat(e.underRouting()).isCloseTo(0.25, within(1e-9));
        assertThat(e.overRouting()).isCloseTo(2 / 11.0, within(1e-9));
        assertThat(e.confusionCsv()).contains("complex,1,0,3");
    }

    @Test
    void percentilesUseNearestRank() {
        RoutingEvaluation e = new RoutingEvaluation();
        for (long v = 1; v <= 100; v++) e.addTiming(v);
        assertThat(e.percentileMicros(50)).isEqualTo(50);
        assertThat(e.percentileMicros(99)).isEqualTo(99);
        assertThat(e.percentileMicros(100)).isEqualTo(100);
    }
}
