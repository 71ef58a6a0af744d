package dev.tiergate.local.bench;

import java.util.Arrays;

/**
 * Percentiles of a sample of durations, nearest-rank (the smallest value with at least p% of the sample at or below
 * it): no interpolation, so every figure is a latency that was actually observed.
 */
public final class LatencyStats {

    private final long[] sortedNanos;

    public LatencyStats(long[] nanos) {
        this.sortedNanos = nanos.clone();
        Arrays.sort(sortedNanos);
    }

    public int count() {
        return sortedNanos.length;
    }

    /** @param p from 0 (exclusive) to 100 */
    public long percentileNanos(double p) {
        if (sortedNanos.length == 0) return 0;
        if (p <= 0 || p > 100) throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
        return sortedNanos[Math.max(0, rank - 1)];
    }

    public long maxNanos() {
        return sortedNanos.length == 0 ? 0 : sortedNanos[sortedNanos.length - 1];
    }

    public double meanNanos() {
        return sortedNanos.length == 0 ? 0 : Arrays.stream(sortedNanos).average().orElse(0);
    }

    public static double ms(long nanos) {
        return nanos / 1e6;
    }
}
