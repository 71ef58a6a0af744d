package dev.tiergate.core.config;

import java.math.BigDecimal;
import java.util.Objects;

/** A tier's list prices in USD per one million tokens. Cached input is prompt tokens served from the prefix cache. */
public record Prices(BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cachedInputPerMillion) {
    public Prices {
        Objects.requireNonNull(inputPerMillion);
        Objects.requireNonNull(outputPerMillion);
        Objects.requireNonNull(cachedInputPerMillion);
    }
}
