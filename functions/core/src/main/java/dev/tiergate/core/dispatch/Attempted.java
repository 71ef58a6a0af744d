package dev.tiergate.core.dispatch;

import dev.tiergate.core.ports.Upstream;

import java.net.URI;

/** What dispatching to one tier came to. */
public sealed interface Attempted {

    /** A whole answer (200). */
    record Answered(Upstream.Reply reply, URI replica, int attempts) implements Attempted {}

    /** A stream whose status line was 200; its body is still to be read, and the lease closed when done. */
    record Opened(Upstream.Stream stream, URI replica, int attempts, ReplicaSelector.Lease lease) implements Attempted {}

    /** The upstream refused the request itself (a 4xx such as a prompt over the context): no retry, no fallback. */
    record Rejected(int status, byte[] body) implements Attempted {}

    /**
     * The tier could not answer in time after its attempts: the fallback chain goes on.
     *
     * @param noReplica the tier had no replica to try at all (a fleet at zero, or every replica ejected)
     */
    record Failed(int status, String reason, boolean noReplica) implements Attempted {
        public Failed(int status, String reason) {
            this(status, reason, false);
        }
    }
}
