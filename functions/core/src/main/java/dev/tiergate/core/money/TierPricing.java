package dev.tiergate.core.money;

import dev.tiergate.core.config.Prices;

import java.math.BigDecimal;

/** What a request costs on a tier: uncached input, cached input and output tokens, each at its price per million. */
public final class TierPricing {

    private TierPricing() {}

    public static Usd cost(Prices prices, TokenUsage usage) {
        long uncached = (long) usage.promptTokens() - usage.cachedTokens();
        BigDecimal micros = prices.inputPerMillion().multiply(BigDecimal.valueOf(uncached))
                .add(prices.cachedInputPerMillion().multiply(BigDecimal.valueOf(usage.cachedTokens())))
                .add(prices.outputPerMillion().multiply(BigDecimal.valueOf(usage.completionTokens())));
        // Per million tokens: an exact shift of the decimal point, not a long division per request; Usd sets the scale.
        return new Usd(micros.movePointLeft(6));
    }
}
