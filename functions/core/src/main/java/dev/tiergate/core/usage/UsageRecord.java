package dev.tiergate.core.usage;

import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;

import java.time.Instant;
import java.util.Objects;

/**
 * One dispatched request, as it is billed: who, which tier and model, the tokens, what they cost, how long it took
 * and how it ended.
 *
 * @param status      the HTTP status the client got (200 for a stream that started, even if it broke later)
 * @param outcome     how it ended
 * @param usageSource where its token counts come from
 * @param fallbackFrom the tier routing chose when a fallback tier answered instead; empty otherwise
 */
public record UsageRecord(String requestId, Instant timestamp, String keyId, String org, String team, String user,
                          String tier, String model, TokenUsage tokens, Usd cost, long latencyMs, int status,
                          Outcome outcome, boolean stream, UsageSource usageSource, String fallbackFrom) {
    public UsageRecord {
        Objects.requireNonNull(requestId);
        Objects.requireNonNull(timestamp);
        Objects.requireNonNull(tokens);
        Objects.requireNonNull(cost);
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(usageSource);
    }
}
