package dev.tiergate.adapters.routing;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * all-MiniLM-L6-v2 (quantized, run in process by ONNX Runtime; the model ships inside its Maven artifact, nothing is
 * downloaded): the prompt embeddings the trained router reads, and the semantic cache's. The model loads in the
 * background; until it has, {@link #embed} answers empty and the router's heuristics model decides.
 * <p>
 * {@link #close} stops a load in progress and waits for it. Call it before the JVM exits: ONNX Runtime releases its
 * environment from a shutdown hook of its own, and the JVM runs shutdown hooks all at once, so a session still being
 * built then crashes the process (SIGSEGV in createSession). The CLI therefore stops on the signal itself, not from a
 * hook ({@code TiergateCli}).
 */
public final class PromptEmbeddingModel implements dev.tiergate.core.ports.PromptEmbedder, AutoCloseable {

    private static final String LOADER_THREAD = "routing-embeddings";

    /** all-MiniLM-L6-v2's vectors. */
    private static final int DIMENSIONS = 384;
    /** Texts embedded lately: the router and the semantic cache ask for the same prompt, and it is embedded once. */
    private static final int RECENT = 256;

    private final CompletableFuture<EmbeddingModel> index = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread loader;
    private final java.util.Map<String, float[]> recent = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(RECENT * 2, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, float[]> eldest) {
                    return size() > RECENT;
                }
            });

    private PromptEmbeddingModel() {
        loader = Thread.ofPlatform().daemon().name(LOADER_THREAD).unstarted(() -> {
            try {
                index.complete(load(stopping));
            } catch (Throwable t) {
                index.completeExceptionally(t);
            }
        });
    }

    /** Starts loading in a background thread and returns at once. */
    public static PromptEmbeddingModel loadInBackground() {
        PromptEmbeddingModel s = unloaded();
        s.startLoading();
        return s;
    }

    /**
     * A model that loads nothing until {@link #startLoading} or its first {@link #embed}: for a process with more
     * urgent work at start (the local stack answers its first requests sooner when the model's ~1.5 s of CPU and
     * ~170 MB of garbage come after them).
     */
    public static PromptEmbeddingModel unloaded() {
        return new PromptEmbeddingModel();
    }

    /** Starts the background load; does nothing when it has started already or the model is closed. */
    public synchronized void startLoading() {
        if (loader.getState() == Thread.State.NEW && !stopping.get()) loader.start();
    }

    /** Stops a load in progress (a closed model embeds nothing) and waits (up to 30 s) for the native model load to end, so the JVM can exit safely. */
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
     * models it cannot close (the Lambda functions' gateways live in Spring's context): exiting during a load crashes
     * it (see the class comment).
     */
    public static void awaitLoadsInProgress(Duration timeout) throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(LOADER_THREAD)) t.join(timeout.toMillis());
        }
    }

    /** Waits for the model; false if not ready in time (or never started). Failures to load propagate. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        try {
            index.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | java.util.concurrent.CancellationException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the prompt embedding model failed to load", e.getCause());
        }
    }

    private static EmbeddingModel load(java.util.concurrent.atomic.AtomicBoolean stopping) {
        if (stopping.get()) throw new java.util.concurrent.CancellationException("closed before loading");
        EmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        // The first calls are several times slower than the rest: pay for them here, not in a request.
        for (int i = 0; i < 3 && !stopping.get(); i++) model.embed("How many days are there in a leap year?");
        return model;
    }

    @Override
    public Optional<float[]> embed(String text) {
        if (stopping.get()) return Optional.empty();
        if (index.state() != java.util.concurrent.Future.State.SUCCESS) {
            if (loader.getState() == Thread.State.NEW) startLoading();
            return Optional.empty();
        }
        if (text.isBlank()) return Optional.empty();
        float[] known = recent.get(text);
        if (known != null) return Optional.of(known);
        float[] v = normalized(index.resultNow().embed(text).content().vector());
        recent.put(text, v);
        return Optional.of(v);
    }

    @Override
    public boolean ready() {
        return !stopping.get() && index.state() == java.util.concurrent.Future.State.SUCCESS;
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

}
