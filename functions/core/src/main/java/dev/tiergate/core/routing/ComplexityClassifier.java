package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Decides a prompt's complexity class from up to three opinions: the heuristic signals, the embedding scorer and
 * (optionally) the router tier's own rating. The embedding and the rating are blended first (default 0.6 / 0.4), then
 * that blend with the heuristics (by the embedding weight); a forced heuristic trigger (code, math) always wins.
 * The combined score is cut into classes by the configured thresholds.
 */
public final class ComplexityClassifier {

    static final int EMBED_HEAD_CHARS = 192;
    static final int EMBED_TAIL_CHARS = 64;

    private final RoutingSettings settings;
    private final HeuristicScorer heuristics;
    private final Optional<ComplexityScorer> embedding;
    private final Optional<SelfAssessment> selfAssessment;

    public ComplexityClassifier(RoutingSettings settings, HeuristicScorer heuristics, Optional<ComplexityScorer> embedding,
                                Optional<SelfAssessment> selfAssessment) {
        this.settings = settings;
        this.heuristics = heuristics;
        this.embedding = settings.embedding().enabled() ? embedding : Optional.empty();
        this.selfAssessment = settings.selfAssessment().enabled() ? selfAssessment : Optional.empty();
    }

    public Classification classify(String prompt) {
        long start = System.nanoTime();
        String text = PromptSlice.of(prompt, settings.sliceHeadChars(), settings.sliceTailChars());
        HeuristicScorer.Assessment h = heuristics.score(text);
        List<String> reasons = new ArrayList<>(h.reasons());
        double score;
        double confidence;
        Scorer scorer = Scorer.HEURISTICS;
        if (h.forcedComplex()) {
            score = Math.max(h.score(), settings.complexThreshold());
            confidence = 1.0;
        } else {
            // When explicit intent already pins the class, the learned scorers cannot change it: skip their cost.
            boolean pinned = h.atLeast().isPresent() && h.atLeast().equals(h.atMost());
            Learned l = pinned ? new Learned(OptionalDouble.empty(), false) : learned(text, reasons);
            OptionalDouble learned = l.score();
            if (l.embedded()) scorer = Scorer.HEURISTICS_AND_EMBEDDING;
            double w = settings.embedding().weight();
            score = learned.isPresent() ? (1 - w) * h.score() + w * learned.getAsDouble() : h.score();
            score = bounded(score, h, reasons);
            confidence = confidence(score);
        }
        ComplexityClass c = score >= settings.complexThreshold() ? ComplexityClass.COMPLEX
                : score >= settings.mediumThreshold() ? ComplexityClass.MEDIUM : ComplexityClass.SIMPLE;
        return new Classification(c, round(score), round(confidence), reasons, (System.nanoTime() - start) / 1000, scorer);
    }

    /** Whether the embedding model scores yet. */
    public RoutingModelState modelState() {
        if (embedding.isEmpty()) return RoutingModelState.OFF;
        return embedding.get().ready() ? RoutingModelState.READY : RoutingModelState.LOADING;
    }

    /** The learned scorers' blend, and whether the embedding took part in it. */
    private record Learned(OptionalDouble score, boolean embedded) {}

    /** The embedding score blended with the self-assessment, whichever of them answered. */
    private Learned learned(String text, List<String> reasons) {
        OptionalDouble e = OptionalDouble.empty();
        if (embedding.isPresent()) {
            // The embedding model's cost grows with length (about 2 ms at 80 characters, 3.6 ms at 200, 10 ms at 800 on 2 cores);
            // the head and tail of a prompt say what it asks, and the heuristics have read the rest.
            Optional<ClassScores> s = embedding.get().score(PromptSlice.of(text, EMBED_HEAD_CHARS, EMBED_TAIL_CHARS));
            if (s.isPresent()) {
                e = OptionalDouble.of(s.get().expected());
                reasons.add(String.format(Locale.ROOT, "embedding:%s=%.2f", s.get().best().wire(), s.get().expected()));
            } else {
                reasons.add("embedding:not_ready");
            }
        }
        OptionalDouble l = OptionalDouble.empty();
        if (selfAssessment.isPresent()) {
            OptionalDouble r = selfAssessment.get().rate(text, Duration.ofMillis(settings.selfAssessment().timeoutMs()));
            if (r.isPresent()) {
                l = OptionalDouble.of(r.getAsDouble() / 10.0);
                reasons.add(String.format(Locale.ROOT, "self_rating=%.0f", r.getAsDouble()));
            } else {
                reasons.add("self_rating:left_out");
            }
        }
        if (e.isPresent() && l.isPresent()) {
            double lw = settings.selfAssessment().weight();
            return new Learned(OptionalDouble.of((1 - lw) * e.getAsDouble() + lw * l.getAsDouble()), true);
        }
        return new Learned(e.isPresent() ? e : l, e.isPresent());
    }

    /** Keeps the blended score inside the class range the heuristics' explicit signals allow. */
    private double bounded(double score, HeuristicScorer.Assessment h, List<String> reasons) {
        double low = h.atLeast().map(c -> switch (c) {
            case SIMPLE -> 0.0;
            case MEDIUM -> settings.mediumThreshold();
            case COMPLEX -> settings.complexThreshold();
        }).orElse(0.0);
        double high = h.atMost().map(c -> switch (c) {
            case SIMPLE -> settings.mediumThreshold() - 0.001;
            case MEDIUM -> settings.complexThreshold() - 0.001;
            case COMPLEX -> 1.0;
        }).orElse(1.0);
        double b = Math.max(low, Math.min(high, score));
        if (b != score) reasons.add("bounded_by_intent");
        return b;
    }

    private double confidence(double score) {
        double distance = Math.min(Math.abs(score - settings.mediumThreshold()), Math.abs(score - settings.complexThreshold()));
        return Math.min(1.0, 0.5 + distance * 2);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
