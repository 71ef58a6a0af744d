package dev.tiergate.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.adapters.routing.PromptEmbeddingModel;
import dev.tiergate.core.routing.RouterModelFile;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.routing.ClassScores;
import dev.tiergate.core.routing.ComplexityClass;
import dev.tiergate.core.routing.ComplexityClassifier;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.RouterModel;
import dev.tiergate.core.routing.RoutingEvaluation;
import dev.tiergate.core.routing.RoutingFeatures;
import dev.tiergate.core.routing.TrainedRouter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code tiergate train-router}: trains the router on the project's labeled conversations, reports k-fold
 * cross-validated figures (every prompt scored by a model that never saw it), and writes the model file the gateway
 * ships. The shared benchmark file is never read here.
 */
@Command(name = "train-router", mixinStandardHelpOptions = true,
        description = {"Train the router's calibrated classifier on labeled conversations and write the model file.",
                "Reports k-fold cross-validated precision, recall and F1 per class, accuracy, macro-F1, under- and "
                        + "over-routing, the calibration error and reliability table, per-domain accuracy, and which "
                        + "heuristic triggers were kept as forced because they helped on the held-out folds."})
final class TrainRouterCommand implements Callable<Integer> {

    /** Heuristic triggers that may force complex, if the held-out folds say they help. */
    static final List<String> TRIGGERS = List.of("code:syntax", "code:stack_trace", "code:request", "math:expression",
            "math:word_problem", "reasoning:puzzle", "multi_step:instructions");
    static final double[] L2 = {0.01, 0.03, 0.1, 0.3, 1.0};
    /** A trigger is judged on at least this many held-out prompts it fires on. */
    static final int MIN_TRIGGER_FIRES = 5;

    @CommandLine.Mixin
    ConfigFileOption config;
    @Option(names = "--data", defaultValue = "functions/routing-data", description = "Labeled JSONL files (default: ${DEFAULT-VALUE}).")
    Path data;
    @Option(names = "--output", defaultValue = "functions/core/src/main/resources/routing/router-model.json",
            description = "The model file to write (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;
    @Option(names = "--seed", defaultValue = "20261207", description = "Seed of the folds (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--epochs", defaultValue = "300", description = "Full-batch optimizer steps (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--embed-head", defaultValue = "128", description = "Characters of the head the embedding reads (default: ${DEFAULT-VALUE}).")
    int embedHead;
    @Option(names = "--embed-tail", defaultValue = "32", description = "Characters of the tail the embedding reads (default: ${DEFAULT-VALUE}).")
    int embedTail;
    @Option(names = "--dry-run", description = "Report the cross-validation, write nothing.")
    boolean dryRun;
    @Option(names = "--show-errors", description = "List the held-out errors of the full model.")
    boolean showErrors;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Held-out results of one model family. */
    private record Heldout(double l2, double temperature, List<ClassScores> probabilities) {}

    @Override
    public Integer call() throws Exception {
        if (folds < 2 || folds > 20) throw new CommandLine.ParameterException(spec.commandLine(), "--folds must be from 2 to 20");
        TiergateConfig cfg = config.load();
        RoutingSettings settings = cfg.routing();
        List<RouterTraining.Example> examples = RouterTraining.read(data);
        System.out.printf(Locale.ROOT, "%d labeled conversations from %s%n", examples.size(), data);
        List<RouterTraining.Featurized> rows = new ArrayList<>();
        try (PromptEmbeddingModel embedder = PromptEmbeddingModel.loadInBackground()) {
            if (!embedder.awaitReady(Duration.ofMinutes(2))) throw new IllegalStateException("the embedding model did not load in 2 minutes");
            HeuristicScorer heuristics = new HeuristicScorer();
            for (RouterTraining.Example e : examples) rows.add(RouterTraining.featurize(e, heuristics, embedder, settings, embedHead, embedTail));
        }
        int[] y = rows.stream().mapToInt(r -> r.example().label().ordinal()).toArray();
        int[] fold = RouterTraining.folds(examples, folds, seed);
        List<String> fullNames = RoutingFeatures.withEmbedding(rows.getFirst().embedding().length);

        Heldout full = heldout("heuristics + embedding", fullNames, rows, RouterTraining.Featurized::full, y, fold);
        Heldout heur = heldout("heuristics only", RoutingFeatures.HEURISTIC, rows, RouterTraining.Featurized::heuristic, y, fold);

        Set<String> forced = forcedTriggers(rows, full.probabilities(), settings);
        System.out.println("\nforced triggers kept: " + (forced.isEmpty() ? "none" : String.join(", ", forced)));

        RoutingEvaluation fullEval = report("heuristics + embedding", rows, full.probabilities(), forced, settings, true);
        RoutingEvaluation heurEval = report("heuristics only (while the embedding model loads)", rows, heur.probabilities(), forced, settings, false);
        sweep(rows, full.probabilities(), forced);

        if (dryRun) return 0;
        RouterModel fm = RouterTraining.withTemperature(
                RouterTraining.fit(fullNames, matrix(rows, RouterTraining.Featurized::full), y, full.l2(), epochs), full.temperature());
        RouterModel hm = RouterTraining.withTemperature(
                RouterTraining.fit(RoutingFeatures.HEURISTIC, matrix(rows, RouterTraining.Featurized::heuristic), y, heur.l2(), epochs),
                heur.temperature());
        TrainedRouter trained = new TrainedRouter(fm, hm, forced, embedHead, embedTail);
        ObjectNode training = new ObjectMapper().createObjectNode();
        training.put("command", "bin/tiergate train-router");
        training.put("data", data.toString());
        training.put("data_sha256", RouterTraining.digest(data));
        training.put("examples", examples.size());
        training.put("folds", folds);
        training.put("seed", seed);
        training.put("epochs", epochs);
        training.put("l2_with_embedding", full.l2());
        training.put("l2_heuristics_only", heur.l2());
        summary(training.putObject("cross_validated_with_embedding"), fullEval);
        summary(training.putObject("cross_validated_heuristics_only"), heurEval);
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.writeString(output, RouterModelFile.pretty(RouterModelFile.write(trained, training)));
        System.out.println("\nwrote " + output);
        return 0;
    }

    private Heldout heldout(String name, List<String> names, List<RouterTraining.Featurized> rows,
                            Function<RouterTraining.Featurized, double[]> features, int[] y, int[] fold) {
        double[][] x = matrix(rows, features);
        double bestL2 = L2[0];
        double bestLoss = Double.MAX_VALUE;
        List<double[]> bestLogits = null;
        for (double l2 : L2) {
            List<double[]> logits = oof(names, x, y, fold, l2);
            double t = RouterTraining.temperature(logits, y);
            double loss = 0;
            for (int i = 0; i < y.length; i++) loss -= Math.log(Math.max(prob(RouterModel.softmax(logits.get(i), t), y[i]), 1e-12));
            System.out.printf(Locale.ROOT, "%-24s l2 %-6s held-out log-loss %.4f (temperature %.2f)%n", name, l2, loss / y.length, t);
            if (loss < bestLoss) {
                bestLoss = loss;
                bestL2 = l2;
                bestLogits = logits;
            }
        }
        double t = RouterTraining.temperature(bestLogits, y);
        List<ClassScores> p = new ArrayList<>();
        for (double[] z : bestLogits) p.add(RouterModel.softmax(z, t));
        return new Heldout(bestL2, t, p);
    }

    /** Out-of-fold logits: each example's from the model trained on the other folds. */
    private List<double[]> oof(List<String> names, double[][] x, int[] y, int[] fold, double l2) {
        double[][] out = new double[y.length][];
        for (int k = 0; k < folds; k++) {
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < y.length; i++) if (fold[i] != k) train.add(i);
            double[][] tx = new double[train.size()][];
            int[] ty = new int[train.size()];
            for (int i = 0; i < train.size(); i++) {
                tx[i] = x[train.get(i)];
                ty[i] = y[train.get(i)];
            }
            RouterModel m = RouterTraining.fit(names, tx, ty, l2, epochs);
            for (int i = 0; i < y.length; i++) if (fold[i] == k) out[i] = m.logits(x[i]);
        }
        return List.of(out);
    }

    /**
     * Triggers that, forced to complex on the held-out predictions, make no more errors than the model where they fire,
     * on at least {@link #MIN_TRIGGER_FIRES} prompts: a forced decision skips the embedding model, so a tie favours it.
     */
    private static Set<String> forcedTriggers(List<RouterTraining.Featurized> rows, List<ClassScores> p, RoutingSettings s) {
        Set<String> kept = new LinkedHashSet<>();
        System.out.println("\ntrigger                   fires  model errors  forced errors  (held-out)");
        for (String trigger : TRIGGERS) {
            int fires = 0;
            int modelErrors = 0;
            int forcedErrors = 0;
            for (int i = 0; i < rows.size(); i++) {
                RouterTraining.Featurized r = rows.get(i);
                if (!r.signals().contains(trigger)) continue;
                fires++;
                ComplexityClass label = r.example().label();
                if (ComplexityClassifier.decide(p.get(i), false, r.example().text().tools(), s) != label) modelErrors++;
                if (label != ComplexityClass.COMPLEX) forcedErrors++;
            }
            System.out.printf(Locale.ROOT, "%-24s %6d %13d %14d%n", trigger, fires, modelErrors, forcedErrors);
            if (fires >= MIN_TRIGGER_FIRES && forcedErrors <= modelErrors) kept.add(trigger);
        }
        return kept;
    }

    private RoutingEvaluation report(String name, List<RouterTraining.Featurized> rows, List<ClassScores> p,
                                     Set<String> forced, RoutingSettings s, boolean perDomain) {
        RoutingEvaluation eval = new RoutingEvaluation();
        Map<String, int[]> domains = new TreeMap<>();
        for (int i = 0; i < rows.size(); i++) {
            RouterTraining.Featurized r = rows.get(i);
            boolean f = r.signals().stream().anyMatch(forced::contains);
            ComplexityClass c = ComplexityClassifier.decide(p.get(i), f, r.example().text().tools(), s);
            eval.add(r.example().label(), c);
            eval.addProbabilities(r.example().label(), p.get(i));
            if (showErrors && perDomain && c != r.example().label()) {
                String text = r.example().text().lastTurn().replace('\n', ' ');
                System.out.printf(Locale.ROOT, "  %s → %s %s [%.2f %.2f %.2f] %s%n", r.example().label().wire(), c.wire(), r.example().id(),
                        p.get(i).simple(), p.get(i).medium(), p.get(i).complex(), text.substring(0, Math.min(100, text.length())));
            }
            int[] d = domains.computeIfAbsent(r.example().domain(), k -> new int[2]);
            d[0]++;
            if (c == r.example().label()) d[1]++;
        }
        System.out.printf(Locale.ROOT, "%n== %s: %d-fold cross-validated (thresholds medium %.2f, complex %.2f, quality bias %.2f)%n",
                name, folds, s.mediumThreshold(), s.complexThreshold(), s.qualityBias());
        EvalOutput.print(eval);
        if (perDomain) {
            System.out.println("\ndomain                 prompts  accuracy");
            domains.forEach((d, v) -> System.out.printf(Locale.ROOT, "%-22s %7d  %8.3f%n", d, v[0], (double) v[1] / v[0]));
        }
        return eval;
    }

    /** Held-out figures over a grid of thresholds: what choosing the defaults looked at. */
    private static void sweep(List<RouterTraining.Featurized> rows, List<ClassScores> p, Set<String> forced) {
        System.out.println("\nthreshold sweep (held-out, heuristics + embedding)\nmedium  complex  accuracy  under  over");
        for (double m = 0.3; m <= 0.71; m += 0.1) {
            for (double c : new double[] {0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6}) {
                RoutingSettings s = new RoutingSettings(Map.of(), m, c, 1.0, 2048, 512, new RoutingSettings.Embedding(true),
                        new RoutingSettings.SelfAssessment(false, "", 0.4, 150), java.util.Optional.empty());
                RoutingEvaluation e = new RoutingEvaluation();
                for (int i = 0; i < rows.size(); i++) {
                    RouterTraining.Featurized r = rows.get(i);
                    boolean f = r.signals().stream().anyMatch(forced::contains);
                    e.add(r.example().label(), ComplexityClassifier.decide(p.get(i), f, r.example().text().tools(), s));
                }
                System.out.printf(Locale.ROOT, "%5.2f  %7.2f  %8.3f  %4.1f%%  %4.1f%%%n", m, c, e.accuracy(), 100 * e.underRouting(), 100 * e.overRouting());
            }
        }
    }

    private static void summary(ObjectNode o, RoutingEvaluation e) {
        o.put("accuracy", round(e.accuracy()));
        o.put("macro_f1", round(e.macroF1()));
        o.put("under_routing", round(e.underRouting()));
        o.put("over_routing", round(e.overRouting()));
        o.put("calibration_error", round(e.calibrationError()));
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    private static double prob(ClassScores p, int y) {
        return switch (y) {
            case 0 -> p.simple();
            case 1 -> p.medium();
            default -> p.complex();
        };
    }

    private static double[][] matrix(List<RouterTraining.Featurized> rows, Function<RouterTraining.Featurized, double[]> f) {
        double[][] x = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) x[i] = f.apply(rows.get(i));
        return x;
    }
}
