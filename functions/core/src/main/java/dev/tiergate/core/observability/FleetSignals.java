package dev.tiergate.core.observability;

/**
 * Metrics the gateway publishes for the fleets to act on, named once: the gateway writes them, the CDK app's scaling
 * alarms read them.
 */
public final class FleetSignals {

    private FleetSignals() {}

    /**
     * Requests that wanted a tier (the routed one, whoever answered), counted per tier with {@code tier} as the only
     * dimension besides Powertools' {@code Service}: a fleet at zero scales out on it.
     */
    public static final String TIER_DEMAND = "TierDemand";
}
