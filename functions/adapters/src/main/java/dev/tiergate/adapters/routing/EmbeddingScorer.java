package dev.tiergate.adapters.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.tiergate.core.routing.ClassScores;
import dev.tiergate.core.routing.ComplexityScorer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Scores a prompt by its nearest labeled examples in the embedding space of all-MiniLM-L6-v2 (quantized, run in
 * process by ONNX Runtime; the model ships inside its Maven artifact, nothing is downloaded). The examples are
 * tiergate's own ({@code routing/examples.jsonl}). The model loads and the examples are embedded in the background,
 * so start-up never waits for them; until then the scorer answers empty and the heuristics route alone.
 * <p>
 * {@link #close} stops a load in progress and waits for it. Call it before the JVM exits: ONNX Runtime releases its
 * environment from a shutdown hook of its own, and the JVM runs shutdown hooks all at once, so a session still being
 * built then crashes the process (SIGSEGV in createSession). The CLI therefore stops on the signal itself, not from a
 * hook ({@code TiergateCli}).
 */
public final class EmbeddingScorer implements ComplexityScorer, dev.tiergate.core.ports.PromptEmbedder, AutoCloseable {

    private static final String EXAMPLES = "/routing/examples.jsonl";
    private static final String LOADER_THREAD = "routing-embeddings";
    private static final int K = 9;
    /** Softmax temperature over cosine similarities: low enough that the nearest examples dominate. */
    private static final double TEMPERATURE = 0.1;

    /** all-MiniLM-L6-v2's vectors. */
    private static final int DIMENSIONS = 384;
    /** Texts embedded lately: the router and the semantic cache ask for the same prompt, and it is embedded once. */
    private static final int RECENT = 256;

    private record Example(float[] vector, int label) {}

    private record Index(EmbeddingModel model, List<Example> examples) {}

    private final CompletableFuture<Index> index = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread loader;
    private final java.util.Map<String, float[]> recent = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(RECENT * 2, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, float[]> eldest) {
                    return size() > RECENT;
                }
            });

    private EmbeddingScorer() {
        loader = Thread.ofPlatform().daemon().name(LOADER_THREAD).unstarted(() -> {
            try {
                index.complete(load(stopping));
            } catch (Throwable t) {
                index.completeExceptionally(t);
            }
        });
    }

    /** Starts loading in a background thread and returns at once. */
    public static EmbeddingScorer loadInBackground() {
        EmbeddingScorer s = unloaded();
        s.startLoading();
        return s;
    }

    /**
     * A scorer that loads nothing until {@link #startLoading} or its first {@link #score}: for a process with more
     * urgent work at start (the local stack answers its first requests sooner when the model's ~1.5 s of CPU and
     * ~170 MB of garbage come after them).
     */
    public static EmbeddingScorer unloaded() {
        return new EmbeddingScorer();
    }

    /** Starts the background load; does nothing when it has started already or the scorer is closed. */
    public synchronized void startLoading() {
        if (loader.getState() == Thread.State.NEW && !stopping.get()) loader.start();
    }

    /** Stops embedding the examples and waits (up to 30 s) for the native model load to end, so the JVM can exit safely. */
    @Override
    public void close() {
        synchronized (this) {
            stopping.set(true);
            if (loader.getState() == Thread.State.NEW) {
                index.cancel(false);
                return;
            }
        }
        try {
            loader.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits (up to {@code timeout} each) for every load in progress in this JVM, for a process about to exit that holds
     * scorers it cannot close (the Lambda functions' gateways live in Spring's context): exiting during a load crashes
     * it (see the class comment).
     */
    public static void awaitLoadsInProgress(Duration timeout) throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(LOADER_THREAD)) t.join(timeout.toMillis());
        }
    }

    /** Waits for the model and examples; false if not ready in time (or never started). Failures to load propagate. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        try {
            index.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | java.util.concurrent.CancellationException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the routing embedding model failed to load", e.getCause());
        }
    }

    private static Index load(java.util.concurrent.atomic.AtomicBoolean stopping) {
        EmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        ObjectMapper json = new ObjectMapper();
        List<Example> examples = new ArrayList<>();
        try (InputStream in = EmbeddingScorer.class.getResourceAsStream(EXAMPLES)) {
            if (in == null) throw new IllegalStateException("missing resource " + EXAMPLES);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (stopping.get()) throw new java.util.concurrent.CancellationException("closed while loading");
                if (line.isBlank()) continue;
                JsonNode n = json.readTree(line);
                int label = switch (n.get("class").asText()) {
                    case "simple" -> 0;
                    case "medium" -> 1;
                    case "complex" -> 2;
                    default -> throw new IllegalStateException("bad class in " + EXAMPLES + ": " + line);
                };
                examples.add(new Example(normalized(model.embed(n.get("text").asText()).content().vector()), label));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Index(model, List.copyOf(examples));
    }

    @Override
    public Optional<ClassScores> score(String text) {
        // Not loaded yet, failed or closed: the heuristics route alone (getNow would throw on the last two). The first
        // prompt to score starts a load that has not started yet.
        if (index.state() != java.util.concurrent.Future.State.SUCCESS) {
            if (loader.getState() == Thread.State.NEW) startLoading();
            return Optional.empty();
        }
        Optional<float[]> embedded = embed(text);
        if (embedded.isEmpty()) return Optional.empty();
        Index idx = index.resultNow();
        float[] v = embedded.get();
        // Top-K by cosine similarity, then a softmax-weighted vote.
        double[] topSim = new double[K];
        int[] topLabel = new int[K];
        java.util.Arrays.fill(topSim, -2);
        for (Example e : idx.examples()) {
            double sim = dot(v, e.vector());
            if (sim > topSim[K - 1]) {
                int i = K - 1;
                while (i > 0 && topSim[i - 1] < sim) {
                    topSim[i] = topSim[i - 1];
                    topLabel[i] = topLabel[i - 1];
                    i--;
                }
                topSim[i] = sim;
                topLabel[i] = e.label();
            }
        }
        double[] votes = new double[3];
        double total = 0;
        for (int i = 0; i < K; i++) {
            if (topSim[i] < -1) continue;
            double w = Math.exp((topSim[i] - topSim[0]) / TEMPERATURE);
            votes[topLabel[i]] += w;
            total += w;
        }
        return Optional.of(new ClassScores(votes[0] / total, votes[1] / total, votes[2] / total));
    }

    @Override
    public Optional<float[]> embed(String text) {
        if (index.state() != java.util.concurrent.Future.State.SUCCESS) {
            if (loader.getState() == Thread.State.NEW) startLoading();
            return Optional.empty();
        }
        if (text.isBlank()) return Optional.empty();
        float[] known = recent.get(text);
        if (known != null) return Optional.of(known);
        float[] v = normalized(index.resultNow().model().embed(text).content().vector());
        recent.put(text, v);
        return Optional.of(v);
    }

    @Override
    public boolean ready() {
        return index.state() == java.util.concurrent.Future.State.SUCCESS;
    }

    @Override
    public int dimensions() {
        return DIMENSIONS;
    }

    private static float[] normalized(float[] v) {
        double n = 0;
        for (float x : v) n += x * x;
        n = Math.sqrt(n);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / n);
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
