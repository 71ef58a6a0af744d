package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.ports.PromptEmbedder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Decides a conversation's complexity class with the trained router ({@link TrainedRouter}): the heuristic signals
 * and the prompt's embedding go into a calibrated logistic regression, whose probabilities the configured thresholds
 * cut. While the embedding model loads (or without it) the heuristic signals' own trained model decides, and the
 * decision says so ({@link Scorer#HEURISTICS}).
 * <p>
 * A prompt goes to complex when P(complex) reaches the complex threshold, else to medium when P(medium or complex)
 * reaches the medium one, else it is simple; {@code quality_bias} scales the odds both thresholds ask for. A heuristic
 * trigger the training measured to help (say, a stack trace) sends a prompt to complex whatever the model says, and a
 * request with tools is at least medium (choosing and filling a call is more than a look-up).
 */
public final class ComplexityClassifier {

    private final RoutingSettings settings;
    private final HeuristicScorer heuristics;
    private final TrainedRouter model;
    private final Optional<PromptEmbedder> embedding;
    private final Optional<SelfAssessment> selfAssessment;

    public ComplexityClassifier(RoutingSettings settings, HeuristicScorer heuristics, TrainedRouter model,
                                Optional<PromptEmbedder> embedding, Optional<SelfAssessment> selfAssessment) {
        this.settings = settings;
        this.heuristics = heuristics;
        this.model = model;
        this.embedding = settings.embedding().enabled() ? embedding : Optional.empty();
        this.selfAssessment = settings.selfAssessment().enabled() ? selfAssessment : Optional.empty();
        this.embedding.ifPresent(e -> {
            if (e.dimensions() != model.embeddingDimensions()) {
                throw new IllegalArgumentException("the router model expects " + model.embeddingDimensions()
                        + "-dimensional embeddings; the embedder gives " + e.dimensions());
            }
        });
    }

    public Classification classify(String prompt) {
        return classify(RoutingText.of(prompt));
    }

    public Classification classify(RoutingText conversation) {
        long start = System.nanoTime();
        String text = PromptSlice.of(conversation.classified(), settings.sliceHeadChars(), settings.sliceTailChars());
        RoutingFeatures.Scored read = RoutingFeatures.score(text, heuristics, conversation);
        HeuristicScorer.Assessment h = read.assessment();
        List<String> reasons = new ArrayList<>(h.reasons());
        if (conversation.followUp()) reasons.add("conversation:follow_up");
        if (read.parts().hasMaterial()) reasons.add("prompt:pasted_material");
        Optional<String> forced = h.reasons().stream().filter(model.forcedComplex()::contains).findFirst();
        double[] features = read.features();
        Scorer scorer = Scorer.HEURISTICS;
        ClassScores p;
        Optional<float[]> vector = forced.isPresent() ? Optional.empty() : embedded(RoutingFeatures.embedded(text, read.parts()), reasons);
        if (vector.isPresent()) {
            p = model.withEmbedding().probabilities(RoutingFeatures.concat(features, vector.get()));
            scorer = Scorer.HEURISTICS_AND_EMBEDDING;
        } else {
            p = model.heuristicsOnly().probabilities(features);
        }
        p = rated(p, text, reasons);
        reasons.add(String.format(Locale.ROOT, "model:simple=%.2f,medium=%.2f,complex=%.2f", p.simple(), p.medium(), p.complex()));

        ComplexityClass c = decide(p, forced.isPresent(), conversation.tools(), settings);
        if (forced.isPresent()) reasons.add("forced:" + forced.get());
        if (conversation.tools() && c == ComplexityClass.MEDIUM && !forced.isPresent() && below(p, settings) == ComplexityClass.SIMPLE) {
            reasons.add("tools:at_least_medium");
        }
        double confidence = forced.isPresent() ? 1.0 : switch (c) {
            case SIMPLE -> p.simple();
            case MEDIUM -> p.medium();
            case COMPLEX -> p.complex();
        };
        return new Classification(c, round(forced.isPresent() ? 1.0 : p.expected()), round(confidence), reasons,
                (System.nanoTime() - start) / 1000, scorer, p);
    }

    /**
     * The class for calibrated probabilities: complex when P(complex) reaches the complex threshold, else medium when
     * P(medium or complex) reaches the medium one, else simple; a measured trigger forces complex, and tools lift a
     * simple prompt to medium. Training evaluates its folds with this same rule.
     */
    public static ComplexityClass decide(ClassScores p, boolean forced, boolean tools, RoutingSettings settings) {
        if (forced) return ComplexityClass.COMPLEX;
        ComplexityClass c = below(p, settings);
        return tools && c == ComplexityClass.SIMPLE ? ComplexityClass.MEDIUM : c;
    }

    private static ComplexityClass below(ClassScores p, RoutingSettings settings) {
        if (p.complex() >= settings.effective(settings.complexThreshold())) return ComplexityClass.COMPLEX;
        if (p.medium() + p.complex() >= settings.effective(settings.mediumThreshold())) return ComplexityClass.MEDIUM;
        return ComplexityClass.SIMPLE;
    }

    /** Whether the embedding model scores yet. */
    public RoutingModelState modelState() {
        if (embedding.isEmpty()) return RoutingModelState.OFF;
        return embedding.get().ready() ? RoutingModelState.READY : RoutingModelState.LOADING;
    }

    private Optional<float[]> embedded(String text, List<String> reasons) {
        if (embedding.isEmpty()) return Optional.empty();
        // The embedding model's cost grows with length (p99 4.6 ms reading 128 + 32 characters, 11 ms reading 192 + 64 on
        // 2 cores): the head and tail of a prompt say what it asks, and the heuristics have read the rest.
        // A model not loaded yet answers empty (and starts loading if nothing had started it).
        Optional<float[]> v = embedding.get().embed(PromptSlice.of(text, model.embedHeadChars(), model.embedTailChars()));
        if (v.isEmpty() && !embedding.get().ready()) reasons.add("embedding:not_ready");
        return v;
    }

    /**
     * With self-assessment on, the router tier's 0–10 rating (0–3 simple, 4–6 medium, 7–10 complex) is blended into
     * the model's probabilities by its weight; a late rating is left out.
     */
    private ClassScores rated(ClassScores p, String text, List<String> reasons) {
        if (selfAssessment.isEmpty()) return p;
        OptionalDouble r = selfAssessment.get().rate(text, Duration.ofMillis(settings.selfAssessment().timeoutMs()));
        if (r.isEmpty()) {
            reasons.add("self_rating:left_out");
            return p;
        }
        double rating = r.getAsDouble();
        reasons.add(String.format(Locale.ROOT, "self_rating=%.0f", rating));
        double w = settings.selfAssessment().weight();
        int rated = rating >= 7 ? 2 : rating >= 4 ? 1 : 0;
        return new ClassScores((1 - w) * p.simple() + (rated == 0 ? w : 0), (1 - w) * p.medium() + (rated == 1 ? w : 0),
                (1 - w) * p.complex() + (rated == 2 ? w : 0));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
