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
 * @param semanticSlot   where the routed tier's answer to this prompt's meaning is kept, when the team caches by meaning
 */
public record ChatContext(String requestId, ApiKey caller, ChatRequest chat, RoutingRequest routing, RouteDecision route,
                          Instant start, Instant deadline, BudgetAction budgetAction, Optional<String> downgradedFrom,
                          Optional<CacheSlot> cacheSlot, Optional<SemanticSlot> semanticSlot) {

    public ChatContext {
        Objects.requireNonNull(requestId);
        Objects.requireNonNull(caller);
        Objects.requireNonNull(route);
        Objects.requireNonNull(downgradedFrom);
        Objects.requireNonNull(cacheSlot);
        Objects.requireNonNull(semanticSlot);
    }

    /** Where a cacheable answer is kept, and for how long. */
    public record CacheSlot(String key, Duration ttl) {}

    /**
     * Where an answer is kept by its prompt's meaning: the scope (all of the request but the prompt's wording), the
     * prompt, its embedding, and the team's settings.
     */
    public record SemanticSlot(String scope, String prompt, float[] vector, dev.tiergate.core.config.SemanticCacheSettings settings) {}

    /** Routed, not yet held: what a cache hit or a budget refusal is recorded with. */
    static ChatContext routed(String requestId, ApiKey caller, ChatRequest chat, RoutingRequest routing, RouteDecision route,
                              Instant start, Instant deadline, Optional<CacheSlot> cacheSlot) {
        return new ChatContext(requestId, caller, chat, routing, route, start, deadline, BudgetAction.NONE, Optional.empty(), cacheSlot,
                Optional.empty());
    }

    /** After the exact cache missed: where the semantic cache looks and keeps. */
    ChatContext withSemantic(Optional<SemanticSlot> slot) {
        return new ChatContext(requestId, caller, chat, routing, route, start, deadline, budgetAction, downgradedFrom, cacheSlot, slot);
    }

    /** Money is held for {@code held}: the routed tier, or a cheaper one (then the cache slot, which is the routed tier's, no longer applies). */
    ChatContext held(RouteDecision held, BudgetAction action, Optional<String> downgradedFrom) {
        boolean same = held.tier() == route.tier();
        return new ChatContext(requestId, caller, chat, routing, held, start, deadline, action, downgradedFrom,
                same ? cacheSlot : Optional.empty(), same ? semanticSlot : Optional.empty());
    }

    ChatContext refused() {
        return new ChatContext(requestId, caller, chat, routing, route, start, deadline, BudgetAction.REJECT, downgradedFrom, cacheSlot,
                semanticSlot);
    }

    OptionalDouble routingScore() {
        return route.classification().map(c -> OptionalDouble.of(c.score())).orElse(OptionalDouble.empty());
    }
}
