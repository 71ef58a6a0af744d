package dev.tiergate.core.ports;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** Which base URLs serve each tier right now: a configured endpoint, the replicas of a fleet, or simulators. */
public interface FleetRegistry {

    /** The base URLs (scheme, host, port) of the tier's healthy replicas; empty when none is known. */
    List<URI> replicas(String tier);

    Map<String, List<URI>> all();

    /** Looks again at what serves each tier (the fleet monitor does before it probes); a fixed fleet has nothing to do. */
    default void refresh() {
    }
}
