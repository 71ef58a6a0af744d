package dev.tiergate.core.routing;

/** How hard a request is, as the router judges it; each class is served by the tier the config names for it. */
public enum ComplexityClass {
    SIMPLE, MEDIUM, COMPLEX;

    public String wire() {
        return name().toLowerCase();
    }
}
