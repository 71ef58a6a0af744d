package dev.tiergate.local.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/** {@code tiergate bench}: load against any OpenAI-compatible URL, optionally compared with a second one. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Load an OpenAI-compatible endpoint (tiergate, the simulator, another gateway) and print throughput, "
                + "latency p50/p95/p99/max, time to first token (--stream) and errors by kind.",
                "Closed loop (--concurrency N, clients send back to back) or open loop (--rate R requests/s, so queueing shows).",
                "--compare URL runs a second target interleaved in the same run and prints the added latency per percentile "
                        + "(target minus compare), e.g. tiergate against the simulator it fronts.",
                "--sweep 1,8,32 runs one closed-loop level per value; --svg plots latency against throughput over them."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--url", required = true, description = "Base URL, e.g. http://127.0.0.1:8080/v1")
    URI url;
    @Option(names = "--compare", description = "A second base URL, run interleaved: added latency = --url minus this.")
    URI compare;
    @Option(names = "--key", defaultValue = "${env:TIERGATE_BENCH_KEY}", description = "Bearer key for --url (default: TIERGATE_BENCH_KEY).")
    String key;
    @Option(names = "--compare-key", defaultValue = "", description = "Bearer key for --compare (default: none).")
    String compareKey;
    @Option(names = "--model", defaultValue = "auto", description = "The model field (default: ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--compare-model", description = "The model field for --compare (default: --model).")
    String compareModel;
    @Option(names = "--concurrency", defaultValue = "8", description = "Closed-loop clients (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--rate", description = "Open loop: requests per second across targets, instead of --concurrency.")
    Double rate;
    @Option(names = "--requests", defaultValue = "2000", description = "Requests per target (default: ${DEFAULT-VALUE}).")
    long requests;
    @Option(names = "--warmup", defaultValue = "200", description = "Uncounted requests per target first, one at a time (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--stream", description = "Stream the answers and measure time to the first content token.")
    boolean stream;
    @Option(names = "--max-tokens", defaultValue = "16", description = "max_tokens per request (default: ${DEFAULT-VALUE}).")
    int maxTokens;
    @Option(names = "--prompts", description = "A file of prompts, one per line (or JSON lines with a \"prompt\" field), used in turn.")
    Path prompts;
    @Option(names = "--sweep", split = ",", description = "Concurrency levels to run in turn, e.g. 1,4,16,32.")
    List<Integer> sweep;
    @Option(names = "--json", description = "Write the results as JSON here.")
    Path json;
    @Option(names = "--svg", description = "Write a plot of latency against throughput here (with --sweep).")
    Path svg;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** A bad option value: picocli prints the message and the usage, and the exit code is 2. */
    private picocli.CommandLine.ParameterException usageError(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1 || concurrency > 4096) throw usageError("--concurrency must be from 1 to 4096");
        if (rate != null && (rate <= 0 || rate > 1_000_000)) throw usageError("--rate must be above 0");
        if (requests < 1) throw usageError("--requests must be at least 1");
        List<String> texts = prompts == null ? List.of("What is a GPU?", "Summarise the benefits of batching requests in one sentence.",
                "Name three prime numbers.") : readPrompts(prompts);
        if (texts.isEmpty()) throw usageError(prompts + " has no prompts");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        List<BenchTarget> targets = new ArrayList<>();
        targets.add(new BenchTarget(url, key == null ? "" : key, http, Duration.ofSeconds(60)));
        if (compare != null) targets.add(new BenchTarget(compare, compareKey, http, Duration.ofSeconds(60)));
        String m2 = compareModel != null ? compareModel : model;
        // Interleaved requests alternate targets; each target gets its own model field.
        IntFunction<String> body = i -> BenchTarget.body(model, texts.get(i % texts.size()), stream, maxTokens);
        IntFunction<String> body2 = i -> BenchTarget.body(m2, texts.get(i % texts.size()), stream, maxTokens);
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("url", url.toString());
        if (compare != null) root.put("compare", compare.toString());
        root.put("stream", stream);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        ArrayNode runs = root.putArray("runs");
        List<BenchPlot.Point> points = new ArrayList<>();
        List<Integer> levels = sweep == null || sweep.isEmpty() ? List.of(concurrency) : sweep;
        for (int level : levels) {
            List<IntFunction<String>> bodies = compare == null ? List.of(body) : List.of(body, body2);
            List<BenchRun.Result> results = rate != null
                    ? BenchRun.openLoop(targets, rate, requests, warmup, bodies, stream)
                    : BenchRun.closedLoop(targets, level, requests, warmup, bodies, stream);
            String label = rate != null ? String.format(Locale.ROOT, "rate %.0f/s", rate) : "concurrency " + level;
            System.out.println("== " + label + (stream ? ", streamed" : ""));
            ObjectNode run = runs.addObject();
            run.put("load", label);
            for (BenchRun.Result r : results) print(r, run.putObject(r.target()));
            if (results.size() == 2) {
                ObjectNode added = run.putObject("added_ms");
                System.out.println("  added latency (" + results.get(0).target() + " minus " + results.get(1).target() + "):");
                for (double p : new double[]{50, 95, 99}) {
                    double a = LatencyStats.ms(results.get(0).latency().percentileNanos(p) - results.get(1).latency().percentileNanos(p));
                    added.put("p" + (int) p, a);
                    System.out.printf(Locale.ROOT, "    p%-3d %+.3f ms%n", (int) p, a);
                }
                if (stream) {
                    double t = LatencyStats.ms(results.get(0).ttft().percentileNanos(50) - results.get(1).ttft().percentileNanos(50));
                    added.put("ttft_p50", t);
                    System.out.printf(Locale.ROOT, "    ttft p50 %+.3f ms%n", t);
                }
            }
            BenchRun.Result main = results.getFirst();
            points.add(new BenchPlot.Point(rate != null ? label : Integer.toString(level), main.throughput(),
                    LatencyStats.ms(main.latency().percentileNanos(50)), LatencyStats.ms(main.latency().percentileNanos(99))));
        }
        if (json != null) {
            Files.writeString(json, om.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            System.out.println("results: " + json);
        }
        if (svg != null) {
            Files.writeString(svg, BenchPlot.svg("latency vs load: " + url, points));
            System.out.println("plot: " + svg);
        }
        return 0;
    }

    private static void print(BenchRun.Result r, ObjectNode n) {
        LatencyStats l = r.latency();
        System.out.printf(Locale.ROOT, "  %s%n    %d ok in %.2f s: %.0f requests/s; latency ms p50 %.3f p95 %.3f p99 %.3f max %.3f%n",
                r.target(), r.ok(), r.seconds(), r.throughput(), LatencyStats.ms(l.percentileNanos(50)), LatencyStats.ms(l.percentileNanos(95)),
                LatencyStats.ms(l.percentileNanos(99)), LatencyStats.ms(l.maxNanos()));
        n.put("ok", r.ok());
        n.put("seconds", r.seconds());
        n.put("requests_per_second", r.throughput());
        ObjectNode lat = n.putObject("latency_ms");
        lat.put("p50", LatencyStats.ms(l.percentileNanos(50))).put("p95", LatencyStats.ms(l.percentileNanos(95)))
                .put("p99", LatencyStats.ms(l.percentileNanos(99))).put("max", LatencyStats.ms(l.maxNanos()));
        LatencyStats t = r.ttft();
        if (t.count() > 0 && r.samples().stream().anyMatch(s -> s.ok() && s.ttftNanos() != s.latencyNanos())) {
            System.out.printf(Locale.ROOT, "    time to first token ms p50 %.3f p95 %.3f p99 %.3f%n", LatencyStats.ms(t.percentileNanos(50)),
                    LatencyStats.ms(t.percentileNanos(95)), LatencyStats.ms(t.percentileNanos(99)));
            n.putObject("ttft_ms").put("p50", LatencyStats.ms(t.percentileNanos(50))).put("p95", LatencyStats.ms(t.percentileNanos(95)))
                    .put("p99", LatencyStats.ms(t.percentileNanos(99)));
        }
        Map<String, Long> errors = r.errors();
        if (!errors.isEmpty()) System.out.println("    errors: " + errors);
        ObjectNode e = n.putObject("errors");
        errors.forEach(e::put);
    }

    static List<String> readPrompts(Path file) throws java.io.IOException {
        ObjectMapper om = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            String t = line.trim();
            if (t.startsWith("{")) {
                var n = om.readTree(t);
                if (!n.hasNonNull("prompt")) throw new IllegalArgumentException(file + ": a JSON line without \"prompt\": " + t);
                out.add(n.get("prompt").asText());
            } else {
                out.add(t);
            }
        }
        return out;
    }
}
