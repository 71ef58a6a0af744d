package dev.tiergate.core.routing;

import org.junit.jupiter.api.Test;

import static dev.tiergate.core.routing.ComplexityClass.COMPLEX;
import static dev.tiergate.core.routing.ComplexityClass.MEDIUM;
import static dev.tiergate.core.routing.ComplexityClass.SIMPLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RoutingEvaluationTest {

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
