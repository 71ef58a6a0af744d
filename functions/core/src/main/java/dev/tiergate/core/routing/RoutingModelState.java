package dev.tiergate.core.routing;

import java.util.Locale;

/** Whether the router's embedding model can score yet: until it is ready, prompts are routed by the heuristics alone. */
public enum RoutingModelState {
    /** Not configured: the heuristics route alone, by design. */
    OFF,
    /** Loading in the background: the heuristics route alone for now. */
    LOADING,
    READY;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
