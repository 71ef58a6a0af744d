package dev.tiergate.local.bench;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatencyStatsTest {

    @Test
    void nearestRankOnOneToHundred() {
        LatencyStats s = new LatencyStats(LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray());
        assertThat(s.percentileNanos(50)).isEqualTo(50);
        assertThat(s.percentileNanos(95)).isEqualTo(95);
        assertThat(s.percentileNanos(99)).isEqualTo(99);
        assertThat(s.percentileNanos(100)).isEqualTo(100);
        assertThat(s.maxNanos()).isEqualTo(100);
        assertThat(s.meanNanos()).isEqualTo(50.5);
    }

    @Test
    void smallSamplesPickObservedValues() {
        LatencyStats s = new LatencyStats(new long[]{30, 10, 20});
        assertThat(s.percentileNanos(50)).isEqualTo(20);
        assertThat(s.percentileNanos(99)).isEqualTo(30);
        assertThat(s.percentileNanos(1)).isEqualTo(10);
        assertThat(new LatencyStats(new long[]{7}).percentileNanos(99)).isEqualTo(7);
        assertThat(new LatencyStats(new long[0]).percentileNanos(50)).isZero();
    }

    @Test
    void aTailIsNotAveragedAway() {
        long[] v = new long[1000];
        java.util.Arrays.fill(v, 1);
        for (int i = 0; i < 11; i++) v[i] = 1000;
        LatencyStats s = new LatencyStats(v);
        assertThat(s.percentileNanos(99)).isEqualTo(1000);
        assertThat(s.percentileNanos(98)).isEqualTo(1);
    }

    @Test
    void rejectsMeaninglessPercentiles() {
        assertThatThrownBy(() -> new LatencyStats(new long[]{1}).percentileNanos(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LatencyStats(new long[]{1}).percentileNanos(101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonEscapingKeepsPromptsIntact() {
        assertThat(BenchTarget.json("a \"q\" \\ \n\t\u0001")).isEqualTo("\"a \\\"q\\\" \\\\ \\n\\t\\u0001\"");
    }
}
