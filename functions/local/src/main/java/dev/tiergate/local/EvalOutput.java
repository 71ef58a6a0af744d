package dev.tiergate.local;

import dev.tiergate.core.routing.ComplexityClass;
import dev.tiergate.core.routing.RoutingEvaluation;

import java.util.Locale;

/** How {@code eval-routing} and {@code train-router} print a routing evaluation. */
final class EvalOutput {

    private EvalOutput() {}

    static void print(RoutingEvaluation eval) {
        System.out.println("class     precision  recall   f1     prompts");
        long[][] m = eval.confusion();
        for (ComplexityClass c : ComplexityClass.values()) {
            long n = m[c.ordinal()][0] + m[c.ordinal()][1] + m[c.ordinal()][2];
            System.out.printf(Locale.ROOT, "%-8s  %8.3f  %6.3f  %5.3f  %6d%n", c.wire(), eval.precision(c), eval.recall(c), eval.f1(c), n);
        }
        System.out.printf(Locale.ROOT, "%naccuracy          %.3f%nmacro-F1          %.3f%nunder-routing     %.1f%%  (labeled complex, sent below complex)%n"
                        + "over-routing      %.1f%%  (sent above the label)%ncalibration error %.3f  (expected calibration error, %d bins)%n",
                eval.accuracy(), eval.macroF1(), 100 * eval.underRouting(), 100 * eval.overRouting(), eval.calibrationError(),
                RoutingEvaluation.BINS);
        System.out.println("reliability       top probability   prompts  mean probability  accuracy");
        for (RoutingEvaluation.ReliabilityBin b : eval.reliability()) {
            System.out.printf(Locale.ROOT, "                  [%.1f, %.1f)    %8d  %16.3f  %8.3f%n", b.low(), b.high(), b.prompts(), b.meanConfidence(), b.accuracy());
        }
        System.out.println("confusion         rows: labeled, columns: routed");
        System.out.print(eval.confusionCsv().replaceAll("(?m)^", "                  "));
    }
}
