package dev.tiergate.core.routing;

import java.util.List;

/**
 * The classifier's verdict on one prompt.
 *
 * @param score      the expected complexity, P(medium) / 2 + P(complex): 0 (a look-up) to 1 (deep work); 1 for a trigger
 * @param confidence the probability of the class chosen (1 for a forced trigger)
 * @param reasons    the signals that fired, e.g. {@code code:request}, {@code embedding:complex=0.81}
 * @param micros     how long the classification took
 * @param scorer     what scored it: the heuristics alone (model off, loading, or not needed), or with the embedding
 * @param probabilities the trained model's calibrated class probabilities (blended with a self-rating when on)
 */
public record Classification(ComplexityClass complexity, double score, double confidence, List<String> reasons, long micros,
                             Scorer scorer, ClassScores probabilities) {
    public Classification {
        reasons = List.copyOf(reasons);
    }
}
