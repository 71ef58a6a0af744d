package dev.tiergate.core.budget;

import dev.tiergate.core.routing.RouteDecision;

/** What the budget check decided for a routed request. */
public sealed interface BudgetDecision {

    /** Money is held; dispatch as routed. */
    record Allow(Reservation reservation, RouteDecision route) implements BudgetDecision {}

    /** Money is held on a cheaper tier than routing chose, because a scope's budget says downgrade. */
    record Downgrade(Reservation reservation, RouteDecision route, String fromTier, ScopeRef because) implements BudgetDecision {}

    /** Nothing is held, for this reason. */
    record Reject(BudgetRefusal reason) implements BudgetDecision {}
}
