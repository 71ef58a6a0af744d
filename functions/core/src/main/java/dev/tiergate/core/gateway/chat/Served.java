package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.config.TierConfig;

import java.util.Optional;

/**
 * Who is answering a request and what is held for it: the routed tier, or the fallback that took over, whose
 * reservation may have grown to cover its price.
 *
 * @param fallbackFrom the routed tier, when a fallback answers instead
 */
public record Served(TierConfig tier, String model, Reservation reservation, Optional<String> fallbackFrom) {

    boolean isFallback() {
        return fallbackFrom.isPresent();
    }
}
