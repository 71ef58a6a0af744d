package dev.tiergate.core.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code "model": "auto"} is routed.
 *
 * @param classTiers       complexity class (simple, medium, complex) to the tier that serves it
 * @param mediumThreshold  a combined score at or above this is medium
 * @param complexThreshold a combined score at or above this is complex
 * @param sliceHeadChars   only the first this many characters of a prompt are scored ...
 * @param sliceTailChars   ... plus its last this many, so long contexts cost nothing extra to route
 * @param embedding        whether the embedding scorer is used, and its weight against the heuristics
 * @param selfAssessment   the optional 0–10 rating by the router tier's model
 * @param shadow           when present, decisions are computed and logged but requests are served by its tier
 */
public record RoutingSettings(Map<String, String> classTiers, double mediumThreshold, double complexThreshold,
                              int sliceHeadChars, int sliceTailChars, Embedding embedding, SelfAssessment selfAssessment,
                              Optional<Shadow> shadow) {

    public RoutingSettings {
        classTiers = Map.copyOf(classTiers);
    }

    /** @param weight the embedding (blended with the self-assessment) against the heuristic signals, 0 to 1 */
    public record Embedding(boolean enabled, double weight) {}

    /**
     * @param weight    the self-assessment's share in its blend with the embedding score (the embedding keeps 1 − weight)
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
