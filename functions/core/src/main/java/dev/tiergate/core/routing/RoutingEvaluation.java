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

    private final long[][] confusion = new long[3][3];
    private final List<Long> micros = new ArrayList<>();

    public void add(ComplexityClass expected, ComplexityClass predicted) {
        confusion[expected.ordinal()][predicted.ordinal()]++;
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
