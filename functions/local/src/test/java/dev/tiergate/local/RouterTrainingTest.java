package dev.tiergate.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.routing.ComplexityClass;
import dev.tiergate.core.routing.RouterModel;
import dev.tiergate.core.routing.RoutingText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouterTrainingTest {

    private static final Path DATA = Path.of("..", "routing-data");
    private static final Path HOLDOUT = Path.of("..", "routing-holdout");
    private static final Path SHIPPED = Path.of("..", "core", "src", "main", "resources", "routing", "router-model.json");

    @Test
    void theShippedModelWasTrainedOnTheDataInTheRepository() throws Exception {
        JsonNode model = new ObjectMapper().readTree(SHIPPED.toFile());
        assertThat(model.path("training").path("data_sha256").asText())
                .as("functions/routing-data changed since the model was trained: run bin/tiergate train-router")
                .isEqualTo(RouterTraining.digest(DATA));
        List<RouterTraining.Example> examples = RouterTraining.read(DATA);
        assertThat(model.path("training").path("examples").asInt()).isEqualTo(examples.size());
        assertThat(examples).hasSizeGreaterThanOrEqualTo(1_500);
        assertThat(examples.stream().map(RouterTraining.Example::domain).distinct().count()).isGreaterThanOrEqualTo(15);
        assertThat(examples.stream().filter(e -> !e.text().earlierTurns().isEmpty()).count()).isGreaterThan(50);
        assertThat(examples.stream().filter(e -> e.text().tools()).count()).isGreaterThan(20);
        List<String> single = examples.stream().filter(e -> e.text().earlierTurns().isEmpty()).map(e -> e.text().lastTurn()).toList();
        assertThat(single).as("no prompt is in the training set twice").doesNotHaveDuplicates();
    }

    @Test
    void theHoldOutSetIsReadableAndSharesNoPromptWithTheTrainingSet() throws Exception {
        List<RouterTraining.Example> holdout = RouterTraining.read(HOLDOUT);
        assertThat(holdout).hasSizeGreaterThanOrEqualTo(100);
        assertThat(holdout.stream().map(RouterTraining.Example::label).distinct()).hasSize(3);
        // A hold-out prompt that is (nearly) a training prompt scores the training set, not the router's reach:
        // the same words, or all but a few, in any order.
        List<Set<String>> training = RouterTraining.read(DATA).stream().map(e -> words(e.text().lastTurn())).toList();
        for (RouterTraining.Example h : holdout) {
            Set<String> w = words(h.text().lastTurn());
            for (Set<String> t : training) {
                assertThat(overlap(w, t)).as("hold-out %s is nearly a training prompt", h.id()).isLessThan(0.8);
            }
        }
    }

    private static Set<String> words(String text) {
        Set<String> out = new HashSet<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /** Jaccard overlap of two word sets. */
    private static double overlap(Set<String> a, Set<String> b) {
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        return both.size() / (double) (a.size() + b.size() - both.size());
    }

    @Test
    void foldsAreStratifiedAndTheSameForTheSameSeed() {
        List<RouterTraining.Example> examples = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ComplexityClass c = i < 10 ? ComplexityClass.SIMPLE : i < 30 ? ComplexityClass.MEDIUM : ComplexityClass.COMPLEX;
            examples.add(new RouterTraining.Example("x-" + i, "x", c, RoutingText.of("p" + i)));
        }
        int[] a = RouterTraining.folds(examples, 5, 7);
        assertThat(a).isEqualTo(RouterTraining.folds(examples, 5, 7));
        for (int k = 0; k < 5; k++) {
            int simple = 0;
            int all = 0;
            for (int i = 0; i < a.length; i++) {
                if (a[i] != k) continue;
                all++;
                if (examples.get(i).label() == ComplexityClass.SIMPLE) simple++;
            }
            assertThat(all).isEqualTo(10);
            assertThat(simple).isEqualTo(2);
        }
    }

    @Test
    void theRegressionLearnsASeparableProblemAndTheTemperatureCalibratesIt() {
        // Three overlapping clusters on two features (so that the best temperature is not at the grid's edge);
        // standardization must cope with a feature on another scale.
        Random r = new Random(1);
        int n = 300;
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            x[i] = new double[]{y[i] + r.nextGaussian() * 0.5, 1000 * (y[i] == 1 ? 1 : 0) + r.nextGaussian() * 600};
        }
        RouterModel m = RouterTraining.fit(List.of("a", "b"), x, y, 0.01, 300);
        int right = 0;
        List<double[]> logits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            logits.add(m.logits(x[i]));
            if (m.probabilities(x[i]).best().ordinal() == y[i]) right++;
        }
        assertThat(right).isGreaterThan(200);
        double t = RouterTraining.temperature(logits, y);
        assertThat(t).isBetween(0.3, 1.6);
        // Scaling the logits up by 3 must be answered by a temperature about 3 times larger.
        List<double[]> sharper = logits.stream().map(z -> new double[]{3 * z[0], 3 * z[1], 3 * z[2]}).toList();
        assertThat(RouterTraining.temperature(sharper, y)).isCloseTo(3 * t, org.assertj.core.data.Offset.offset(0.1 * t + 0.05));
    }

    @Test
    void badRowsAreRefusedNamingTheLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.jsonl");
        Files.writeString(f, "{\"prompt\":\"hi\",\"expected_tier\":\"simple\"}\n{\"prompt\":\"hi\",\"expected_tier\":\"simple\",\"earlier\":\"no\"}\n");
        assertThatThrownBy(() -> RouterTraining.read(f)).hasMessageContaining("x.jsonl:2").hasMessageContaining("'earlier'");
        Files.writeString(f, "{\"prompt\":\"hi\",\"expected_tier\":\"hard\"}\n");
        assertThatThrownBy(() -> RouterTraining.read(f)).hasMessageContaining("x.jsonl:1").hasMessageContaining("expected_tier");
    }
}
