package dev.tiergate.core.routing;

import dev.tiergate.core.config.TierConfig;

import java.util.List;
import java.util.Optional;

/**
 * Where a request goes and why.
 *
 * @param model          the served model name to send upstream (the tier's, or its A/B variant's)
 * @param classification the classifier's verdict; empty when the client named a tier or model itself
 * @param shadowOf       in shadow mode, the tier the router chose while {@code tier} serves
 * @param reasons        the signals and policy steps that decided it
 */
public record RouteDecision(TierConfig tier, String model, Optional<Classification> classification,
                            Optional<TierConfig> shadowOf, List<String> reasons, long micros) implements RouteResult {
    public RouteDecision {
        reasons = List.copyOf(reasons);
    }

    public Optional<ComplexityClass> complexity() {
        return classification.map(Classification::complexity);
    }
}
