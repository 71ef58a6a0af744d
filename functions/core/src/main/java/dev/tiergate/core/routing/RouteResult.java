package dev.tiergate.core.routing;

/** What routing a request comes to: the tier to use, or why there is none. */
public sealed interface RouteResult permits RouteDecision, RouteRefusal {}
