package dev.tiergate.core.config;

import java.util.Map;

/**
 * How {@code "model": "auto"} is routed: a complexity class per request, and the tier that serves each class.
 *
 * @param classTiers      complexity class (simple, medium, complex) to tier name
 * @param simpleMaxChars  prompts up to this length with no code or multi-step signal are simple
 * @param complexMinChars prompts at least this long are complex
 */
public record RoutingSettings(Map<String, String> classTiers, int simpleMaxChars, int complexMinChars) {
    public RoutingSettings {
        classTiers = Map.copyOf(classTiers);
    }
}
