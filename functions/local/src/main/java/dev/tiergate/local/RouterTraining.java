package dev.tiergate.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.ports.PromptEmbedder;
import dev.tiergate.core.routing.ClassScores;
import dev.tiergate.core.routing.ComplexityClass;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.PromptSlice;
import dev.tiergate.core.routing.RouterModel;
import dev.tiergate.core.routing.RoutingFeatures;
import dev.tiergate.core.routing.RoutingText;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The router's training: labeled conversations read from JSONL, their features computed exactly as the gateway
 * computes them ({@link RoutingFeatures}), multinomial logistic regression fitted by full-batch Adam with L2, stratified
 * folds for held-out predictions, and a softmax temperature fitted on those predictions.
 * Deterministic for a seed: the same data gives the same model file.
 */
final class RouterTraining {

    /** One labeled conversation. */
    record Example(String id, String domain, ComplexityClass label, RoutingText text) {}

    /** An example's features: the heuristic ones, the embedding, and the heuristic signals that fired. */
    record Featurized(Example example, double[] heuristic, float[] embedding, Set<String> signals) {
        double[] full() {
            return RoutingFeatures.concat(heuristic, embedding);
        }
    }

    /** Readable labeled data: a JSONL file, or a folder of them (read in name order). */
    static List<Example> read(Path path) throws IOException {
        List<Path> files = files(path);
        ObjectMapper json = new ObjectMapper();
        List<Example> out = new ArrayList<>();
        for (Path f : files) {
            int n = 0;
            for (String line : Files.readAllLines(f)) {
                n++;
                if (line.isBlank()) continue;
                String where = f + ":" + n;
                JsonNode j;
                try {
                    j = json.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + ": not valid JSON");
                }
                String prompt = j.path("prompt").asText("");
                if (prompt.isBlank()) throw new IllegalArgumentException(where + ": missing 'prompt'");
                ComplexityClass label = switch (j.path("expected_tier").asText("")) {
                    case "simple" -> ComplexityClass.SIMPLE;
                    case "medium" -> ComplexityClass.MEDIUM;
                    case "complex" -> ComplexityClass.COMPLEX;
                    default -> throw new IllegalArgumentException(where + ": expected_tier must be simple, medium or complex");
                };
                List<String> earlier = new ArrayList<>();
                JsonNode e = j.path("earlier");
                if (!e.isMissingNode() && !e.isArray()) throw new IllegalArgumentException(where + ": 'earlier' must be a list of user turns");
                e.forEach(t -> earlier.add(t.asText()));
                String id = j.path("id").asText(f.getFileName() + ":" + n);
                String domain = j.path("domain").asText(j.path("source").asText("unknown"));
                out.add(new Example(id, domain, label, new RoutingText(prompt, String.join("\n", earlier), j.path("tools").asBoolean(false))));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(path + " has no labeled prompts");
        return out;
    }

    /** SHA-256 of the data files' bytes, in name order: which data a model file was trained on. */
    static String digest(Path path) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Path f : files(path)) md.update(Files.readAllBytes(f));
        return HexFormat.of().formatHex(md.digest());
    }

    /** The file itself, or a folder's JSONL files in name order. */
    private static List<Path> files(Path path) throws IOException {
        if (!Files.isDirectory(path)) return List.of(path);
        try (Stream<Path> s = Files.list(path)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
    }

    static Featurized featurize(Example e, HeuristicScorer heuristics, PromptEmbedder embedder, RoutingSettings s,
                                int embedHead, int embedTail) {
        String text = PromptSlice.of(e.text().classified(), s.sliceHeadChars(), s.sliceTailChars());
        RoutingFeatures.Scored read = RoutingFeatures.score(text, heuristics, e.text());
        float[] v = embedder.embed(PromptSlice.of(RoutingFeatures.embedded(text, read.parts()), embedHead, embedTail))
                .orElseThrow(() -> new IllegalStateException("the embedding model did not embed " + e.id()));
        return new Featurized(e, read.features(), v, Set.copyOf(read.assessment().reasons()));
    }

    /** Stratified fold of each example: every fold holds about the same share of each class. */
    static int[] folds(List<Example> examples, int k, long seed) {
        int[] fold = new int[examples.size()];
        Random random = new Random(seed);
        for (ComplexityClass c : ComplexityClass.values()) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) if (examples.get(i).label() == c) members.add(i);
            java.util.Collections.shuffle(members, random);
            for (int j = 0; j < members.size(); j++) fold[members.get(j)] = j % k;
        }
        return fold;
    }

    /**
     * Fits the regression: features standardized by the training set's mean and deviation, classes weighted inversely
     * to their frequency, L2 on the weights (not the bias), full-batch Adam.
     */
    static RouterModel fit(List<String> names, double[][] x, int[] y, double l2, int epochs) {
        int n = x.length;
        int d = names.size();
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (double[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / n;
        for (double[] row : x) for (int j = 0; j < d; j++) scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
        for (int j = 0; j < d; j++) scale[j] = scale[j] < 1e-12 ? 1 : Math.sqrt(scale[j]);
        double[][] z = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) / scale[j];
        int[] count = new int[3];
        for (int c : y) count[c]++;
        double[] classWeight = new double[3];
        for (int c = 0; c < 3; c++) classWeight[c] = count[c] == 0 ? 0 : (double) n / (3.0 * count[c]);

        double[][] w = new double[3][d];
        double[] b = new double[3];
        double[][] mw = new double[3][d];
        double[][] vw = new double[3][d];
        double[] mb = new double[3];
        double[] vb = new double[3];
        double lr = 0.05;
        double b1 = 0.9;
        double b2 = 0.999;
        double[][] gw = new double[3][d];
        double[] gb = new double[3];
        for (int t = 1; t <= epochs; t++) {
            for (double[] g : gw) java.util.Arrays.fill(g, 0);
            java.util.Arrays.fill(gb, 0);
            double totalWeight = 0;
            for (int i = 0; i < n; i++) {
                double[] zi = z[i];
                double[] logit = b.clone();
                for (int j = 0; j < d; j++) {
                    double v = zi[j];
                    logit[0] += w[0][j] * v;
                    logit[1] += w[1][j] * v;
                    logit[2] += w[2][j] * v;
                }
                ClassScores p = RouterModel.softmax(logit, 1.0);
                double[] err = {p.simple(), p.medium(), p.complex()};
                err[y[i]] -= 1;
                double cw = classWeight[y[i]];
                totalWeight += cw;
                for (int c = 0; c < 3; c++) {
                    double e = err[c] * cw;
                    gb[c] += e;
                    double[] g = gw[c];
                    for (int j = 0; j < d; j++) g[j] += e * zi[j];
                }
            }
            double c1 = 1 - Math.pow(b1, t);
            double c2 = 1 - Math.pow(b2, t);
            for (int c = 0; c < 3; c++) {
                for (int j = 0; j < d; j++) {
                    double g = gw[c][j] / totalWeight + l2 * w[c][j];
                    mw[c][j] = b1 * mw[c][j] + (1 - b1) * g;
                    vw[c][j] = b2 * vw[c][j] + (1 - b2) * g * g;
                    w[c][j] -= lr * (mw[c][j] / c1) / (Math.sqrt(vw[c][j] / c2) + 1e-8);
                }
                double g = gb[c] / totalWeight;
                mb[c] = b1 * mb[c] + (1 - b1) * g;
                vb[c] = b2 * vb[c] + (1 - b2) * g * g;
                b[c] -= lr * (mb[c] / c1) / (Math.sqrt(vb[c] / c2) + 1e-8);
            }
        }
        return new RouterModel(names, mean, scale, w, b, 1.0);
    }

    /** The softmax temperature that minimizes the negative log-likelihood of held-out logits. */
    static double temperature(List<double[]> logits, int[] y) {
        double best = 1;
        double bestLoss = Double.MAX_VALUE;
        for (double t = 0.25; t <= 5.0001; t += 0.05) {
            double loss = 0;
            for (int i = 0; i < y.length; i++) {
                ClassScores p = RouterModel.softmax(logits.get(i), t);
                double q = switch (y[i]) {
                    case 0 -> p.simple();
                    case 1 -> p.medium();
                    default -> p.complex();
                };
                loss -= Math.log(Math.max(q, 1e-12));
            }
            if (loss < bestLoss) {
                bestLoss = loss;
                best = Math.round(t * 100) / 100.0;
            }
        }
        return best;
    }

    /** The same model with another temperature. */
    static RouterModel withTemperature(RouterModel m, double t) {
        return new RouterModel(m.features(), m.mean(), m.scale(), m.weights(), m.bias(), t);
    }
}
