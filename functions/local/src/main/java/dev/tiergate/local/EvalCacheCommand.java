package dev.tiergate.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.dynamodb.DynamoSemanticCache;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.routing.PromptEmbeddingModel;
import dev.tiergate.core.config.SemanticCacheSettings;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.ports.SemanticCacheStore;
import dev.tiergate.core.semantic.LshBuckets;
import dev.tiergate.core.semantic.Mismatch;
import dev.tiergate.core.semantic.SemanticIndex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code tiergate eval-cache}: the semantic cache on prompt pairs, through the gateway's own lookup on DynamoDB Local. */
@Command(name = "eval-cache", mixinStandardHelpOptions = true,
        description = {"Score the semantic cache on a JSONL file of prompt pairs ('a', 'b', 'same'; optional 'kind').",
                "Every 'a' is kept in one scope of one team in DynamoDB Local (in process), then every 'b' is looked up "
                        + "the way the gateway looks up: its hash buckets, the cosine threshold, the false-hit guard. A hit "
                        + "is right when it finds its own 'a' (or the very same text) for a pair that means the same; any "
                        + "other hit is a false hit.",
                "Prints the hit rate on same-meaning pairs, the false-hit rate on the others (by kind, and what cosine "
                        + "alone would give), the candidates read and the lookup p50/p99 (DynamoDB and the guard; the "
                        + "embedding, shared with routing, apart)."})
final class EvalCacheCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "Prompt pairs, JSONL.")
    Path file;
    @CommandLine.Mixin
    ConfigFileOption config;
    @Option(names = "--threshold", description = "The cosine threshold (default: the config's gateway.semantic_cache.threshold).")
    Optional<Double> threshold;
    @Option(names = "--show-errors", description = "List the pairs it got wrong.")
    boolean showErrors;
    @Option(names = "--filler", defaultValue = "0", description = "Also keep this many unrelated entries (random vectors) in the "
            + "same scope first, so every bucket's page is full: the lookup's cost at its bound (default: ${DEFAULT-VALUE}).")
    int filler;

    private static final int TIMING_ROUNDS = 5;

    private record Pair(String a, String b, boolean same, String kind) {}

    @Override
    public Integer call() throws Exception {
        TiergateConfig cfg = config.load();
        double t = threshold.orElse(cfg.gateway().semanticCache().threshold());
        List<Pair> pairs = read(file);
        try (PromptEmbeddingModel model = PromptEmbeddingModel.loadInBackground(); EmbeddedDynamo dynamo = EmbeddedDynamo.start(Optional.empty())) {
            TableNames tables = TableNames.withPrefix("eval");
            TableSetup.createIfMissing(dynamo.client(), tables);
            if (!model.awaitReady(Duration.ofMinutes(2))) throw new IllegalStateException("the embedding model did not load in 2 minutes");
            SemanticIndex index = new SemanticIndex(new DynamoSemanticCache(dynamo.client(), tables.semanticCache(), Clock.systemUTC()),
                    model.dimensions());
            String team = "eval";
            String scope = "pairs";
            java.util.Random random = new java.util.Random(1);
            for (int i = 0; i < filler; i++) {
                float[] v = new float[model.dimensions()];
                double n = 0;
                for (int d = 0; d < v.length; d++) {
                    v[d] = (float) random.nextGaussian();
                    n += v[d] * v[d];
                }
                for (int d = 0; d < v.length; d++) v[d] = (float) (v[d] / Math.sqrt(n));
                index.keep(team, scope, new SemanticCacheStore.Entry("f" + i, "unrelated " + i, v), "{}".getBytes(StandardCharsets.UTF_8),
                        Duration.ofHours(1), 1_000_000_000);
            }
            List<float[]> aVectors = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                float[] v = model.embed(pairs.get(i).a()).orElseThrow();
                aVectors.add(v);
                index.keep(team, scope, new SemanticCacheStore.Entry("a" + i, pairs.get(i).a(), v),
                        ("{\"pair\":" + i + "}").getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), 1_000_000);
            }
            // Warm-up: the JIT and DynamoDB Local's first queries are not what a warm lookup costs.
            for (int round = 0; round < 3; round++) {
                for (Pair p : pairs) index.lookup(team, scope, p.b(), model.embed(p.b()).orElseThrow(), t);
            }
            // Timed apart, over several rounds: a p99 of a few hundred samples is one or two outliers.
            long[] lookupMicros = new long[pairs.size() * TIMING_ROUNDS];
            for (int round = 0; round < TIMING_ROUNDS; round++) {
                for (int i = 0; i < pairs.size(); i++) {
                    float[] v = model.embed(pairs.get(i).b()).orElseThrow();
                    long l0 = System.nanoTime();
                    index.lookup(team, scope, pairs.get(i).b(), v, t);
                    lookupMicros[round * pairs.size() + i] = (System.nanoTime() - l0) / 1000;
                }
            }
            long[] embedMicros = new long[pairs.size()];
            int same = 0, sameHit = 0, near = 0, falseHits = 0, wrongOnSame = 0, cosineOnlyFalse = 0, inBuckets = 0, aboveThreshold = 0;
            long candidates = 0;
            int maxCandidates = 0;
            Map<String, int[]> byKind = new TreeMap<>();
            Map<Mismatch, Integer> rejections = new TreeMap<>();
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                Pair p = pairs.get(i);
                long e0 = System.nanoTime();
                float[] v = model.embed(p.b() + " ").orElseThrow(); // a text not embedded before: the model's real cost
                embedMicros[i] = (System.nanoTime() - e0) / 1000;
                v = model.embed(p.b()).orElseThrow();
                SemanticIndex.Lookup lookup = index.lookup(team, scope, p.b(), v, t);
                candidates += lookup.candidates();
                maxCandidates = Math.max(maxCandidates, lookup.candidates());
                double cos = LshBuckets.cosine(v, aVectors.get(i));
                Optional<Mismatch> verdict = index.guard().mismatch(p.b(), p.a());
                if (cos >= t) {
                    aboveThreshold++;
                    if (index.buckets(v).stream().anyMatch(index.storedUnder(aVectors.get(i))::contains)) inBuckets++;
                    verdict.ifPresent(m -> rejections.merge(m, 1, Integer::sum));
                }
                Optional<String> found = lookup.match().map(m -> m.entry().prompt());
                boolean identical = found.isPresent() && found.get().equals(p.b());
                boolean right = found.isPresent() && (identical || (p.same() && found.get().equals(p.a())));
                int[] k = byKind.computeIfAbsent(p.kind(), x -> new int[2]);
                k[0]++;
                if (p.same()) {
                    same++;
                    if (right) sameHit++;
                    else if (found.isPresent()) wrongOnSame++;
                    if (right) k[1]++;
                } else {
                    near++;
                    if (cos >= t) cosineOnlyFalse++;
                    if (found.isPresent() && !identical) {
                        falseHits++;
                        k[1]++;
                    }
                }
                if (showErrors && (p.same() ? !right : found.isPresent() && !identical)) {
                    String why = found.isPresent() ? "served the answer to \"" + found.get() + "\""
                            : verdict.map(Mismatch::wire).orElse(cos < t ? "below threshold" : "not in its buckets");
                    errors.add(String.format(Locale.ROOT, "%s %-11s cos %.3f %s: %s | %s", p.same() ? "MISSED" : "FALSE HIT", p.kind(), cos,
                            why, p.a(), p.b()));
                }
            }
            System.out.printf(Locale.ROOT, "%d pairs from %s: %d same meaning, %d near misses; threshold %.2f, %d LSH bands of %d planes%n%n",
                    pairs.size(), file, same, near, t, LshBuckets.BANDS, LshBuckets.BITS);
            System.out.printf(Locale.ROOT, "hit rate on same-meaning pairs   %5.1f%% (%d of %d; %d served another pair's answer)%n",
                    pct(sameHit, same), sameHit, same, wrongOnSame);
            System.out.printf(Locale.ROOT, "false-hit rate on near misses    %5.1f%% (%d of %d; cosine alone: %.1f%%, %d)%n",
                    pct(falseHits, near), falseHits, near, pct(cosineOnlyFalse, near), cosineOnlyFalse);
            System.out.printf(Locale.ROOT, "pairs at or above the threshold  %d; sharing a bucket %.1f%%%n", aboveThreshold, pct(inBuckets, aboveThreshold));
            System.out.println("guard objections above the threshold " + rejections);
            System.out.println();
            System.out.println("by kind (same-meaning kinds: hits; near-miss kinds: false hits)");
            byKind.forEach((kind, c) -> System.out.printf(Locale.ROOT, "  %-11s %3d of %3d%n", kind, c[1], c[0]));
            System.out.println();
            System.out.printf(Locale.ROOT, "candidates per lookup  mean %.1f, max %d (%d entries kept)%n", candidates / (double) pairs.size(),
                    maxCandidates, pairs.size() + filler);
            System.out.printf(Locale.ROOT, "lookup (DynamoDB Local + guard)  p50 %.2f ms  p99 %.2f ms  (%d lookups)%n", pctl(lookupMicros, 50),
                    pctl(lookupMicros, 99), lookupMicros.length);
            System.out.printf(Locale.ROOT, "embedding (shared with routing)  p50 %.2f ms  p99 %.2f ms%n", pctl(embedMicros, 50), pctl(embedMicros, 99));
            if (showErrors) {
                System.out.println();
                errors.forEach(System.out::println);
            }
            return 0;
        }
    }

    private static double pct(int n, int of) {
        return of == 0 ? 0 : 100.0 * n / of;
    }

    private static double pctl(long[] micros, double p) {
        long[] s = micros.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, rank))] / 1000.0;
    }

    private static List<Pair> read(Path file) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        List<Pair> out = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(file)) {
            line++;
            if (l.isBlank()) continue;
            JsonNode n = json.readTree(l);
            if (!n.path("a").isTextual() || !n.path("b").isTextual() || !n.path("same").isBoolean()) {
                throw new IllegalArgumentException(file + ":" + line + ": needs 'a' and 'b' (strings) and 'same' (true or false)");
            }
            boolean same = n.get("same").asBoolean();
            out.add(new Pair(n.get("a").asText(), n.get("b").asText(), same, n.path("kind").asText(same ? "paraphrase" : "near_miss")));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + " has no pairs");
        return out;
    }
}
