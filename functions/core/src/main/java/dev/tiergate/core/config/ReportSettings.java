package dev.tiergate.core.config;

import java.util.Map;

/**
 * The daily cost report.
 *
 * @param referencePrices hosted APIs to compare spend against, by display name (for example a frontier model's list
 *                        prices per million tokens); the report shows what the same tokens would have cost there
 */
public record ReportSettings(Map<String, Prices> referencePrices) {

    public static final ReportSettings DEFAULT = new ReportSettings(Map.of());

    public ReportSettings {
        referencePrices = Map.copyOf(referencePrices);
    }
}
