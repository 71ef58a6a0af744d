package dev.tiergate.core.routing;

import java.util.List;

/**
 * The classifier's verdict on one prompt.
 *
 * @param score      the combined score, 0 (a look-up) to 1 (deep work)
 * @param confidence 0 to 1: how far the score is from the nearest threshold (1 for a forced trigger)
 * @param reasons    the signals that fired, e.g. {@code code:request}, {@code embedding:complex=0.81}
 * @param micros     how long the classification took
 * @param scorer     what scored it: the heuristics alone (model off, loading, or not needed), or with the embedding
 */
public record Classification(ComplexityClass complexity, double score, double confidence, List<String> reasons, long micros,
                             Scorer scorer) {
    public Classification {
        reasons = List.copyOf(reasons);
    }
}
