package dev.tiergate.core.routing;

/** What scored a prompt: the heuristics alone, or with the embedding model. */
public enum Scorer {
    /** The trained model over the heuristic signals alone: the embedding model is off or still loading, or a trigger decided. */
    HEURISTICS("heuristics"),
    /** The trained model over the heuristic signals and the prompt's embedding. */
    HEURISTICS_AND_EMBEDDING("heuristics+embedding");

    private final String wire;

    Scorer(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
