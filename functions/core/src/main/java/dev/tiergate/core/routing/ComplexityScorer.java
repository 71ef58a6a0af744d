package dev.tiergate.core.routing;

import java.util.Optional;

/** A learned scorer, such as the embedding model's nearest labeled examples. */
public interface ComplexityScorer {

    /** The scores, or empty when the scorer is not ready (still loading) or cannot score this text. */
    Optional<ClassScores> score(String text);

    /** Whether it can score now (a model still loading cannot). */
    default boolean ready() {
        return true;
    }
}
