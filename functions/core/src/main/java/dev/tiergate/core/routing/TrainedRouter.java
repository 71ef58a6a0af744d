package dev.tiergate.core.routing;

import java.util.Set;

/**
 * The router's trained models, as {@code bin/tiergate train-router} writes them.
 *
 * @param withEmbedding   the model over the heuristic signals and the prompt's embedding
 * @param heuristicsOnly  the model over the heuristic signals alone: while the embedding model loads, or without it
 * @param forcedComplex   heuristic signals that send a prompt to complex whatever the model says: only those measured,
 *                        on held-out folds, to lower under-routing without raising the error rate
 * @param embedHeadChars  the embedding reads the first this many characters of the (sliced) prompt ...
 * @param embedTailChars  ... and the last this many
 */
public record TrainedRouter(RouterModel withEmbedding, RouterModel heuristicsOnly, Set<String> forcedComplex,
                            int embedHeadChars, int embedTailChars) {
    public TrainedRouter {
        forcedComplex = Set.copyOf(forcedComplex);
        if (embedHeadChars < 1 || embedTailChars < 0) throw new IllegalArgumentException("the embedding slice must read at least one character");
        if (heuristicsOnly.features().size() != RoutingFeatures.HEURISTIC.size()) {
            throw new IllegalArgumentException("the heuristics model has " + heuristicsOnly.features().size() + " features, expected "
                    + RoutingFeatures.HEURISTIC.size());
        }
        if (!heuristicsOnly.features().equals(RoutingFeatures.HEURISTIC)
                || !withEmbedding.features().subList(0, RoutingFeatures.HEURISTIC.size()).equals(RoutingFeatures.HEURISTIC)) {
            throw new IllegalArgumentException("the model was trained on other heuristic features than this build computes: retrain it");
        }
    }

    /** How many embedding dimensions the full model expects. */
    public int embeddingDimensions() {
        return withEmbedding.features().size() - RoutingFeatures.HEURISTIC.size();
    }
}
