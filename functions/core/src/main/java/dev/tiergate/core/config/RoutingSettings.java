package dev.tiergate.core.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code "model": "auto"} is routed.
 *
 * @param classTiers       complexity class (simple, medium, complex) to the tier that serves it
 * @param mediumThreshold  a prompt goes to medium or above when the calibrated probability that it needs at least
 *                         medium is at or above this
 * @param complexThreshold it goes to complex when the probability that it needs complex is at or above this
 * @param qualityBias      how much worse an under-routed prompt is than an over-routed one: 1 takes the thresholds as
 *                         they are, 2 routes up at half the odds (more quality, more cost), 0.5 at twice the odds
 * @param sliceHeadChars   only the first this many characters of a prompt are scored ...
 * @param sliceTailChars   ... plus its last this many, so long contexts cost nothing extra to route
 * @param embedding        whether the full model (heuristic signals and the prompt's embedding) routes, or the
 *                         heuristic signals' model alone
 * @param selfAssessment   the optional 0–10 rating by the router tier's model
 * @param shadow           when present, decisions are computed and logged but requests are served by its tier
 */
public record RoutingSettings(Map<String, String> classTiers, double mediumThreshold, double complexThreshold,
                              double qualityBias, int sliceHeadChars, int sliceTailChars, Embedding embedding, SelfAssessment selfAssessment,
                              Optional<Shadow> shadow) {

    /** Chosen on the training set's held-out folds: the lowest under-routing with over-routing at most 6% (docs/routing.md). */
    public static final double DEFAULT_MEDIUM_THRESHOLD = 0.5;
    public static final double DEFAULT_COMPLEX_THRESHOLD = 0.3;

    public RoutingSettings {
        classTiers = Map.copyOf(classTiers);
        if (!(qualityBias > 0)) throw new IllegalArgumentException("quality_bias must be positive, got " + qualityBias);
    }

    /** The threshold as applied: the configured probability with its odds divided by the quality bias. */
    public double effective(double threshold) {
        return threshold / (threshold + (1 - threshold) * qualityBias);
    }

    public record Embedding(boolean enabled) {}

    /**
     * @param weight    the self-assessment's share in its blend with the model's probabilities (the model keeps 1 − weight)
     * @param timeoutMs a rating later than this is left out; the request never waits longer for it
     */
    public record SelfAssessment(boolean enabled, String tier, double weight, long timeoutMs) {}

    /** @param teams the teams in shadow mode; empty means every team */
    public record Shadow(String serveTier, List<String> teams) {
        public Shadow {
            teams = List.copyOf(teams);
        }

        public boolean appliesTo(String team) {
            return teams.isEmpty() || teams.contains(team);
        }
    }
}
