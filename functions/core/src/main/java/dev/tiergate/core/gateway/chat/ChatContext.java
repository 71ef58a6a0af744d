package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.budget.BudgetAction;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What is known about one chat request as it goes through the pipeline; each step that learns something returns a
 * new context rather than changing this one.
 *
 * @param route          the tier and model to dispatch to: the router's choice, or the cheaper tier a budget chose
 * @param downgradedFrom the router's tier, when a budget moved the request to a cheaper one
 * @param cacheSlot      where a deterministic answer of the routed tier is kept, when the team caches answers
 */
public record ChatContext(String requestId, ApiKey caller, ChatRequest chat, RoutingRequest routing, RouteDecision route,
                          Instant start, Instant deadline, BudgetAction budgetAction, Optional<String> downgradedFrom,
                          Optional<CacheSlot> cacheSlot) {

    public ChatContext {
        Objects.requireNonNull(requestId);
        Objects.requireNonNull(caller);
        Objects.requireNonNull(route);
        Objects.requireNonNull(downgradedFrom);
        Objects.requireNonNull(cacheSlot);
    }

    /** Where a cacheable answer is kept, and for how long. */
    public record CacheSlot(String key, Duration ttl) {}

    /** Routed, not yet held: what a cache hit or a budget refusal is recorded with. */
    static ChatContext routed(String requestId, ApiKey caller, ChatRequest chat, RoutingRequest routing, RouteDecision route,
                              Instant start, Instant deadline, Optional<CacheSlot> cacheSlot) {
        return new ChatContext(requestId, caller, chat, routing, route, start, deadline, BudgetAction.NONE, Optional.empty(), cacheSlot);
    }

    /** Money is held for {@code held}: the routed tier, or a cheaper one (then the cache slot, which is the routed tier's, no longer applies). */
    ChatContext held(RouteDecision held, BudgetAction action, Optional<String> downgradedFrom) {
        Optional<CacheSlot> slot = held.tier() == route.tier() ? cacheSlot : Optional.empty();
        return new ChatContext(requestId, caller, chat, routing, held, start, deadline, action, downgradedFrom, slot);
    }

    ChatContext refused() {
        return new ChatContext(requestId, caller, chat, routing, route, start, deadline, BudgetAction.REJECT, downgradedFrom, cacheSlot);
    }

    OptionalDouble routingScore() {
        return route.classification().map(c -> OptionalDouble.of(c.score())).orElse(OptionalDouble.empty());
    }
}
