package dev.tiergate.local;

import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.http.HttpUpstream;
import dev.tiergate.adapters.wiring.Routing;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.routing.Classification;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingEvaluation;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.TokenCounter;
import picocli.CommandLine.Command;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code tiergate route} and {@code tiergate eval-routing}: the router, in process, without a running stack. */
final class RoutingCommands {

    private RoutingCommands() {}

    /** The router of a config, with the embedding model loaded (or the heuristics model alone). */
    static Routing router(TiergateConfig config, boolean heuristicsOnly) throws InterruptedException {
        TiergateConfig c = heuristicsOnly ? withoutEmbedding(config) : config;
        Routing r = Routing.build(c, new HttpUpstream(Duration.ofSeconds(1), Map.of()), StaticFleetRegistry.of(c, Map.of()));
        if (!r.awaitReady(Duration.ofSeconds(60))) throw new IllegalStateException("the embedding model did not load within 60 s");
        return r;
    }

    private static TiergateConfig withoutEmbedding(TiergateConfig c) {
        RoutingSettings s = c.routing();
        return withRouting(c, new RoutingSettings(s.classTiers(), s.mediumThreshold(), s.complexThreshold(), s.qualityBias(),
                s.sliceHeadChars(), s.sliceTailChars(), new RoutingSettings.Embedding(false), s.selfAssessment(), s.shadow()));
    }

    private static TiergateConfig withBias(TiergateConfig c, double bias) {
        RoutingSettings s = c.routing();
        return withRouting(c, new RoutingSettings(s.classTiers(), s.mediumThreshold(), s.complexThreshold(), bias,
                s.sliceHeadChars(), s.sliceTailChars(), s.embedding(), s.selfAssessment(), s.shadow()));
    }

    private static TiergateConfig withRouting(TiergateConfig c, RoutingSettings r) {
        return new TiergateConfig(c.organization(), c.tablePrefix(), c.gateway(), c.tiers(), r, c.budgets(), c.teams(), c.observability(), c.reports(), c.usage());
    }

    static RoutingRequest request(String prompt, TokenCounter tokens) {
        return new RoutingRequest(TierRouter.AUTO, prompt, tokens.count(prompt) + 4, Optional.empty(), RouteConstraints.NONE,
                List.of(), List.of(), "cli", "cli", Optional.empty());
    }

    @Command(name = "route", mixinStandardHelpOptions = true,
            description = "Print the routing decision for a prompt, explained: complexity class, score, confidence, "
                    + "the signals that fired, the tier and model, and the decision time.")
    static final class Route implements Callable<Integer> {
        @Parameters(paramLabel = "PROMPT", description = "The prompt to route.")
        String prompt;
        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--heuristics-only", description = "Route with the heuristics model alone (as while the embedding model loads).")
        boolean heuristicsOnly;

        @Override
        public Integer call() throws Exception {
            TiergateConfig cfg = config.load();
            if (prompt.isBlank()) throw new IllegalArgumentException("the prompt is empty");
            RouteDecision d = router(cfg, heuristicsOnly).router().route(request(prompt, new TokenCounter()));
            Classification c = d.classification().orElseThrow();
            System.out.printf(Locale.ROOT, "complexity  %s (P simple %.2f, medium %.2f, complex %.2f; thresholds: P(≥ medium) ≥ %.2f, P(complex) ≥ %.2f)%n",
                    c.complexity().wire(), c.probabilities().simple(), c.probabilities().medium(), c.probabilities().complex(),
                    cfg.routing().mediumThreshold(), cfg.routing().complexThreshold());
            System.out.println("scorer      " + c.scorer().wire());
            System.out.printf(Locale.ROOT, "tier        %s (model %s)%n", d.tier().name(), d.model());
            System.out.println("reasons     " + String.join(", ", d.reasons()));
            System.out.printf(Locale.ROOT, "decided in  %.3f ms%n", d.micros() / 1000.0);
            return 0;
        }
    }

    @Command(name = "eval-routing", mixinStandardHelpOptions = true,
            description = {"Measure the router on labeled prompts: a JSONL file (or a folder of them) whose lines have 'prompt' and "
                    + "'expected_tier' (simple, medium or complex), optionally 'earlier' (the user turns before it) and 'tools' (true "
                    + "when the request has tools), compared with the classifier's complexity class.",
                    "Prints per-class precision and recall, macro-F1, accuracy, the under-routing rate (labeled complex, sent "
                            + "below complex), the over-routing rate (sent above the label), the calibration error and reliability "
                            + "table, the cost of the routed mix against sending everything to the top tier, and the p50/p99 "
                            + "decision time after warm-up; writes the confusion matrix as CSV."})
    static final class EvalRouting implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "Labeled prompts, JSONL (a file or a folder).")
        Path file;
        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--heuristics-only", description = "Route with the heuristics model alone (as while the embedding model loads).")
        boolean heuristicsOnly;
        @Option(names = "--quality-bias", description = "Override routing.quality_bias: above 1 routes up at lower odds.")
        Optional<Double> qualityBias;
        @Option(names = "--confusion", defaultValue = "routing-confusion.csv", description = "Where to write the confusion matrix (default: ${DEFAULT-VALUE}).")
        Path confusion;
        @Option(names = "--output-tokens", defaultValue = "256", description = "Output tokens assumed per request for the cost comparison (default: ${DEFAULT-VALUE}).")
        int outputTokens;
        @Option(names = "--show-errors", description = "List the prompts the router got wrong.")
        boolean showErrors;

        @Override
        public Integer call() throws Exception {
            TiergateConfig cfg = config.load();
            if (qualityBias.isPresent()) cfg = withBias(cfg, qualityBias.get());
            List<RouterTraining.Example> rows = RouterTraining.read(file);
            TierRouter router = router(cfg, heuristicsOnly).router();
            TokenCounter tokens = new TokenCounter();
            // Warm-up: the JIT and the model's first calls are not what a warm router costs. Timed decisions read a text
            // the embedding model has not seen (its cache of recent texts would make them look free): the prompt with
            // zero-width spaces after it, which change nothing the model or the heuristics read.
            for (int i = 1; i <= 3; i++) for (RouterTraining.Example l : rows) router.classifier().classify(unseen(l.text(), i));
            RoutingEvaluation eval = new RoutingEvaluation();
            TierConfig top = cfg.tiers().getLast();
            BigDecimal routed = BigDecimal.ZERO;
            BigDecimal allTop = BigDecimal.ZERO;
            List<String> errors = new ArrayList<>();
            for (RouterTraining.Example l : rows) {
                Classification c = router.classifier().classify(l.text());
                eval.add(l.label(), c.complexity());
                eval.addProbabilities(l.label(), c.probabilities());
                for (int i = 4; i < 9; i++) eval.addTiming(router.classifier().classify(unseen(l.text(), i)).micros());
                RoutingRequest r = request(l.text().lastTurn() + "\n" + l.text().earlierTurns(), tokens);
                RoutingRequest withOut = new RoutingRequest(r.model(), r.classifyText(), r.promptTokens(), Optional.of(outputTokens),
                        r.constraints(), r.keyAllowed(), r.teamAllowed(), r.team(), r.user(), r.ceiling());
                routed = routed.add(TierRouter.worstCost(withOut, cfg.tierNamed(cfg.routing().classTiers().get(c.complexity().wire()))));
                allTop = allTop.add(TierRouter.worstCost(withOut, top));
                if (c.complexity() != l.label()) {
                    String p = l.text().lastTurn().replace('\n', ' ');
                    errors.add(l.label().wire() + " → " + c.complexity().wire() + " (" + l.id() + "; " + String.join(",", c.reasons()) + "): "
                            + p.substring(0, Math.min(110, p.length())));
                }
            }
            Files.writeString(confusion, eval.confusionCsv());
            System.out.printf(Locale.ROOT, "%d prompts from %s, scorer: %s%n%n", eval.total(), file,
                    heuristicsOnly || !cfg.routing().embedding().enabled() ? "heuristics only" : "heuristics + embedding");
            EvalOutput.print(eval);
            BigDecimal saved = allTop.signum() == 0 ? BigDecimal.ZERO
                    : BigDecimal.ONE.subtract(routed.divide(allTop, 6, RoundingMode.HALF_UP)).multiply(BigDecimal.valueOf(100));
            System.out.printf(Locale.ROOT, "cost              $%s routed vs $%s all on '%s' (%s%% saved; %d output tokens assumed)%n",
                    routed.setScale(6, RoundingMode.HALF_UP).toPlainString(), allTop.setScale(6, RoundingMode.HALF_UP).toPlainString(),
                    top.name(), saved.setScale(1, RoundingMode.HALF_UP).toPlainString(), outputTokens);
            System.out.printf(Locale.ROOT, "decision time     p50 %.3f ms, p99 %.3f ms (after warm-up, %d decisions on texts not embedded before)%n",
                    eval.percentileMicros(50) / 1000.0, eval.percentileMicros(99) / 1000.0, 5 * rows.size());
            System.out.println("confusion csv     " + confusion);
            if (showErrors) errors.forEach(e -> System.out.println("  " + e));
            return 0;
        }

        private static dev.tiergate.core.routing.RoutingText unseen(dev.tiergate.core.routing.RoutingText t, int copy) {
            return new dev.tiergate.core.routing.RoutingText(t.lastTurn() + "\u200b".repeat(copy), t.earlierTurns(), t.tools());
        }
    }
}
