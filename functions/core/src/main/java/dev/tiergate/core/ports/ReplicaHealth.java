package dev.tiergate.core.ports;

import java.net.URI;
import java.time.Instant;

/**
 * Replica health shared by every gateway instance: a replica one instance found dead is ejected for all of them until
 * the time given. Dispatch writes what its breakers see; the fleet monitor writes what it measures.
 */
public interface ReplicaHealth {

    /** True when some instance ejected this replica and the ejection has not run out. */
    boolean ejected(URI replica);

    void eject(URI replica, Instant until, String reason);

    /** The replica answers again (a breaker closed): lift its ejection. */
    void restore(URI replica);

    /** Reads the shared state now rather than from a periodic snapshot (the fleet monitor's view must be current). */
    default void refresh() {
    }

    /** Health known only to this instance: nothing is shared. */
    ReplicaHealth LOCAL_ONLY = new ReplicaHealth() {
        @Override
        public boolean ejected(URI replica) {
            return false;
        }

        @Override
        public void eject(URI replica, Instant until, String reason) {
        }

        @Override
        public void restore(URI replica) {
        }
    };
}
