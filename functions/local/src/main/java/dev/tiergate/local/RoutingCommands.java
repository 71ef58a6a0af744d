package dev.tiergate.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.http.HttpUpstream;
import dev.tiergate.adapters.wiring.Routing;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.routing.Classification;
import dev.tiergate.core.routing.ComplexityClass;
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

    /** The router of a config, with the embedding scorer loaded (or the heuristics alone). */
    static Routing router(TiergateConfig config, boolean heuristicsOnly) throws InterruptedException {
        TiergateConfig c = heuristicsOnly ? withoutEmbedding(config) : config;
        Routing r = Routing.build(c, new HttpUpstream(Duration.ofSeconds(1), Map.of()), StaticFleetRegistry.of(c, Map.of()));
        if (!r.awaitReady(Duration.ofSeconds(60))) throw new IllegalStateException("the embedding model did not load within 60 s");
        return r;
    }

    private static TiergateConfig withoutEmbedding(TiergateConfig c) {
        RoutingSettings s = c.routing();
        RoutingSettings off = new RoutingSettings(s.classTiers(), s.mediumThreshold(), s.complexThreshold(), s.sliceHeadChars(),
                s.sliceTailChars(), new RoutingSettings.Embedding(false, s.embedding().weight()), s.selfAssessment(), s.shadow());
        return new TiergateConfig(c.organization(), c.tablePrefix(), c.gateway(), c.tiers(), off, c.budgets(), c.teams(), c.observability(), c.reports(), c.usage());
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
        @Option(names = "--heuristics-only", description = "Leave the embedding scorer out.")
        boolean heuristicsOnly;

        @Override
        public Integer call() throws Exception {
            TiergateConfig cfg = config.load();
            if (prompt.isBlank()) throw new IllegalArgumentException("the prompt is empty");
            RouteDecision d = router(cfg, heuristicsOnly).router().route(request(prompt, new TokenCounter()));
            Classification c = d.classification().orElseThrow();
            System.out.printf(Locale.ROOT, "complexity  %s (score %.3f, confidence %.2f; thresholds: medium ≥ %.2f, complex ≥ %.2f)%n",
                    c.complexity().wire(), c.score(), c.confidence(), cfg.routing().mediumThreshold(), cfg.routing().complexThreshold());
            System.out.printf(Locale.ROOT, "tier        %s (model %s)%n", d.tier().name(), d.model());
            System.out.println("reasons     " + String.join(", ", d.reasons()));
            System.out.printf(Locale.ROOT, "decided in  %.3f ms%n", d.micros() / 1000.0);
            return 0;
        }
    }

    @Command(name = "eval-routing", mixinStandardHelpOptions = true,
            description = {"Measure the router on labeled prompts: a JSONL file whose lines have 'prompt' and 'expected_tier' "
                    + "(simple, medium or complex), compared with the classifier's complexity class.",
                    "Prints per-class precision and recall, macro-F1, accuracy, the under-routing rate (labeled complex, sent "
                            + "below complex), the over-routing rate (sent above the label), the cost of the routed mix against "
                            + "sending everything to the top tier, and the p50/p99 decision time after warm-up; writes the "
                            + "confusion matrix as CSV."})
    static final class EvalRouting implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "Labeled prompts, JSONL.")
        Path file;
        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--heuristics-only", description = "Leave the embedding scorer out.")
        boolean heuristicsOnly;
        @Option(names = "--confusion", defaultValue = "routing-confusion.csv", description = "Where to write the confusion matrix (default: ${DEFAULT-VALUE}).")
        Path confusion;
        @Option(names = "--output-tokens", defaultValue = "256", description = "Output tokens assumed per request for the cost comparison (default: ${DEFAULT-VALUE}).")
        int outputTokens;
        @Option(names = "--show-errors", description = "List the prompts the router got wrong.")
        boolean showErrors;

        private record Labeled(String prompt, ComplexityClass expected) {}

        @Override
        public Integer call() throws Exception {
            TiergateConfig cfg = config.load();
            List<Labeled> rows = read(file);
            TierRouter router = router(cfg, heuristicsOnly).router();
            TokenCounter tokens = new TokenCounter();
            // Warm-up: the JIT and the model's first calls are not what a warm router costs.
            for (int i = 0; i < 3; i++) for (Labeled l : rows) router.classifier().classify(l.prompt());
            RoutingEvaluation eval = new RoutingEvaluation();
            TierConfig top = cfg.tiers().getLast();
            BigDecimal routed = BigDecimal.ZERO;
            BigDecimal allTop = BigDecimal.ZERO;
            List<String> errors = new ArrayList<>();
            for (Labeled l : rows) {
                Classification c = router.classifier().classify(l.prompt());
                eval.add(l.expected(), c.complexity());
                for (int i = 0; i < 4; i++) eval.addTiming(router.classifier().classify(l.prompt()).micros());
                eval.addTiming(c.micros());
                RoutingRequest r = request(l.prompt(), tokens);
                RoutingRequest withOut = new RoutingRequest(r.model(), r.classifyText(), r.promptTokens(), Optional.of(outputTokens),
                        r.constraints(), r.keyAllowed(), r.teamAllowed(), r.team(), r.user(), r.ceiling());
                routed = routed.add(TierRouter.worstCost(withOut, cfg.tierNamed(cfg.routing().classTiers().get(c.complexity().wire()))));
                allTop = allTop.add(TierRouter.worstCost(withOut, top));
                if (c.complexity() != l.expected()) {
                    errors.add(l.expected().wire() + " → " + c.complexity().wire() + " (" + c.score() + ", " + String.join(",", c.reasons()) + "): "
                            + l.prompt().replace('\n', ' ').substring(0, Math.min(110, l.prompt().length())));
                }
            }
            Files.writeString(confusion, eval.confusionCsv());
            System.out.printf(Locale.ROOT, "%d prompts from %s, scorer: %s%n%n", eval.total(), file,
                    heuristicsOnly || !cfg.routing().embedding().enabled() ? "heuristics only" : "heuristics + embedding");
            System.out.println("class     precision  recall   f1");
            for (ComplexityClass c : ComplexityClass.values()) {
                System.out.printf(Locale.ROOT, "%-8s  %8.3f  %6.3f  %5.3f%n", c.wire(), eval.precision(c), eval.recall(c), eval.f1(c));
            }
            System.out.printf(Locale.ROOT, "%naccuracy        %.3f%nmacro-F1        %.3f%nunder-routing   %.1f%%  (labeled complex, sent below complex)%n"
                            + "over-routing    %.1f%%  (sent above the label)%n", eval.accuracy(), eval.macroF1(),
                    100 * eval.underRouting(), 100 * eval.overRouting());
            BigDecimal saved = allTop.signum() == 0 ? BigDecimal.ZERO
                    : BigDecimal.ONE.subtract(routed.divide(allTop, 6, RoundingMode.HALF_UP)).multiply(BigDecimal.valueOf(100));
            System.out.printf(Locale.ROOT, "cost            $%s routed vs $%s all on '%s' (%s%% saved; %d output tokens assumed)%n",
                    routed.setScale(6, RoundingMode.HALF_UP).toPlainString(), allTop.setScale(6, RoundingMode.HALF_UP).toPlainString(),
                    top.name(), saved.setScale(1, RoundingMode.HALF_UP).toPlainString(), outputTokens);
            System.out.printf(Locale.ROOT, "decision time   p50 %.3f ms, p99 %.3f ms (after warm-up, %d decisions)%n",
                    eval.percentileMicros(50) / 1000.0, eval.percentileMicros(99) / 1000.0, 5 * rows.size());
            System.out.println("confusion       " + confusion + " (rows: labeled, columns: routed)");
            System.out.print(eval.confusionCsv().replaceAll("(?m)^", "                "));
            if (showErrors) errors.forEach(e -> System.out.println("  " + e));
            return 0;
        }

        private static List<Labeled> read(Path file) throws Exception {
            ObjectMapper json = new ObjectMapper();
            List<Labeled> out = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(file)) {
                n++;
                if (line.isBlank()) continue;
                JsonNode j;
                try {
                    j = json.readTree(line);
                } catch (Exception e) {
                    throw new IllegalArgumentException(file + ":" + n + ": not valid JSON");
                }
                String prompt = j.path("prompt").asText("");
                String tier = j.path("expected_tier").asText("");
                if (prompt.isBlank()) throw new IllegalArgumentException(file + ":" + n + ": missing 'prompt'");
                ComplexityClass c = switch (tier) {
                    case "simple" -> ComplexityClass.SIMPLE;
                    case "medium" -> ComplexityClass.MEDIUM;
                    case "complex" -> ComplexityClass.COMPLEX;
                    default -> throw new IllegalArgumentException(file + ":" + n + ": expected_tier must be simple, medium or complex, got '" + tier + "'");
                };
                out.add(new Labeled(prompt, c));
            }
            if (out.isEmpty()) throw new IllegalArgumentException(file + " has no labeled prompts");
            return out;
        }
    }
}
