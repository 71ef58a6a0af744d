package dev.tiergate.core.routing;

/** A scorer's belief, as probabilities that sum to 1, that a prompt is simple, medium or complex. */
public record ClassScores(double simple, double medium, double complex) {

    /** One number from 0 (surely simple) to 1 (surely complex), comparable with the heuristic score. */
    public double expected() {
        return 0.5 * medium + complex;
    }

    public ComplexityClass best() {
        if (complex >= medium && complex >= simple) return ComplexityClass.COMPLEX;
        return medium >= simple ? ComplexityClass.MEDIUM : ComplexityClass.SIMPLE;
    }
}
