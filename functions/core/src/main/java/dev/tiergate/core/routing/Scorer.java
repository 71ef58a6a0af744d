package dev.tiergate.core.routing;

/** What scored a prompt: the heuristics alone, or with the embedding model. */
public enum Scorer {
    /** The heuristic signals alone: the embedding model is off, still loading, or explicit intent pinned the class. */
    HEURISTICS("heuristics"),
    /** The heuristics blended with the embedding model's nearest labeled examples. */
    HEURISTICS_AND_EMBEDDING("heuristics+embedding");

    private final String wire;

    Scorer(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
