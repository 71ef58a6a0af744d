package dev.tiergate.core.budget;

import java.util.Optional;

/**
 * How fast a key or a team may go: requests and tokens per calendar minute, and requests at once. Enforced in the same
 * DynamoDB transactions as budgets, so they hold across every instance and cost no extra round trip.
 */
public record RateLimits(Optional<Integer> requestsPerMinute, Optional<Integer> tokensPerMinute, Optional<Integer> maxConcurrent) {

    public static final RateLimits NONE = new RateLimits(Optional.empty(), Optional.empty(), Optional.empty());

    public boolean isEmpty() {
        return requestsPerMinute.isEmpty() && tokensPerMinute.isEmpty() && maxConcurrent.isEmpty();
    }
}
