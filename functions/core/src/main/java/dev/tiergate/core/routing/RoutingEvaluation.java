package dev.tiergate.core.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How well a classifier's verdicts match labels: the confusion matrix, per-class precision and recall, macro-F1,
 * accuracy, and the two directional errors that matter for a tiered router. Under-routing (a complex prompt sent
 * below complex) costs quality; over-routing (any prompt sent above its label) costs money.
 */
public final class RoutingEvaluation {

    /** Bins of the reliability table, by the probability of the class routed to. */
    public static final int BINS = 10;

    private final long[][] confusion = new long[3][3];
    private final List<Long> micros = new ArrayList<>();
    private final long[] binCount = new long[BINS];
    private final double[] binConfidence = new double[BINS];
    private final long[] binCorrect = new long[BINS];

    public void add(ComplexityClass expected, ComplexityClass predicted) {
        confusion[expected.ordinal()][predicted.ordinal()]++;
    }

    /**
     * The model's probabilities for a labeled prompt, for calibration: is a class given probability 0.8 right 80% of
     * the time? Each prompt counts once, in the bin of its most probable class.
     */
    public void addProbabilities(ComplexityClass expected, ClassScores p) {
        double[] v = {p.simple(), p.medium(), p.complex()};
        int best = 0;
        for (int i = 1; i < 3; i++) if (v[i] > v[best]) best = i;
        int bin = Math.min(BINS - 1, (int) (v[best] * BINS));
        binCount[bin]++;
        binConfidence[bin] += v[best];
        if (best == expected.ordinal()) binCorrect[bin]++;
    }

    /** One row of the reliability table: prompts whose top probability fell in [low, high). */
    public record ReliabilityBin(double low, double high, long prompts, double meanConfidence, double accuracy) {}

    public List<ReliabilityBin> reliability() {
        List<ReliabilityBin> out = new ArrayList<>();
        for (int b = 0; b < BINS; b++) {
            if (binCount[b] == 0) continue;
            out.add(new ReliabilityBin((double) b / BINS, (double) (b + 1) / BINS, binCount[b], binConfidence[b] / binCount[b],
                    (double) binCorrect[b] / binCount[b]));
        }
        return out;
    }

    /** Expected calibration error: the prompt-weighted gap between confidence and accuracy over the bins. */
    public double calibrationError() {
        long n = 0;
        double gap = 0;
        for (int b = 0; b < BINS; b++) {
            n += binCount[b];
            gap += Math.abs(binConfidence[b] - binCorrect[b]);
        }
        return n == 0 ? 0 : gap / n;
    }

    public void addTiming(long decisionMicros) {
        micros.add(decisionMicros);
    }

    /** confusion()[expected][predicted], classes in the order simple, medium, complex. */
    public long[][] confusion() {
        long[][] copy = new long[3][];
        for (int i = 0; i < 3; i++) copy[i] = confusion[i].clone();
        return copy;
    }

    public long total() {
        long n = 0;
        for (long[] row : confusion) for (long v : row) n += v;
        return n;
    }

    public double accuracy() {
        long ok = 0;
        for (int i = 0; i < 3; i++) ok += confusion[i][i];
        return ratio(ok, total());
    }

    public double precision(ComplexityClass c) {
        int j = c.ordinal();
        long predicted = 0;
        for (int i = 0; i < 3; i++) predicted += confusion[i][j];
        return ratio(confusion[j][j], predicted);
    }

    public double recall(ComplexityClass c) {
        int i = c.ordinal();
        return ratio(confusion[i][i], Arrays.stream(confusion[i]).sum());
    }

    public double f1(ComplexityClass c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroF1() {
        double s = 0;
        for (ComplexityClass c : ComplexityClass.values()) s += f1(c);
        return s / 3;
    }

    /** Of the prompts labeled complex, the share sent below complex. */
    public double underRouting() {
        int c = ComplexityClass.COMPLEX.ordinal();
        long labeled = Arrays.stream(confusion[c]).sum();
        return ratio(labeled - confusion[c][c], labeled);
    }

    /** Of all prompts, the share sent to a class above their label. */
    public double overRouting() {
        long above = 0;
        for (int i = 0; i < 3; i++) for (int j = i + 1; j < 3; j++) above += confusion[i][j];
        return ratio(above, total());
    }

    /** The decision time at percentile {@code p} (0–100), nearest-rank, in microseconds. */
    public long percentileMicros(double p) {
        if (micros.isEmpty()) return 0;
        long[] sorted = micros.stream().mapToLong(Long::longValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public String confusionCsv() {
        StringBuilder sb = new StringBuilder("expected\\predicted,simple,medium,complex\n");
        String[] names = {"simple", "medium", "complex"};
        for (int i = 0; i < 3; i++) {
            sb.append(names[i]);
            for (int j = 0; j < 3; j++) sb.append(',').append(confusion[i][j]);
            sb.append('\n');
        }
        return sb.toString();
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }
}
