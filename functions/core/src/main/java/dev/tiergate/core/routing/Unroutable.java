package dev.tiergate.core.routing;

/** Thrown by {@link TierRouter#route} when no tier can take the request; the gateway turns its reason into the answer. */
public final class Unroutable extends RuntimeException {

    private final RouteRefusal reason;

    public Unroutable(RouteRefusal reason) {
        super(reason.toString(), null, false, false);
        this.reason = reason;
    }

    public RouteRefusal reason() {
        return reason;
    }
}
