package dev.tiergate.core.routing;

import dev.tiergate.core.config.TierConfig;

import java.util.List;
import java.util.Optional;

/**
 * Where a request goes and why.
 *
 * @param complexity the classifier's verdict; empty when the client named a tier or model itself
 * @param reasons    the signals that decided it, for headers, logs and {@code POST /route}
 */
public record RouteDecision(TierConfig tier, Optional<ComplexityClass> complexity, List<String> reasons) {
    public RouteDecision {
        reasons = List.copyOf(reasons);
    }
}
