package dev.tiergate.core.ports;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Answers kept for prompts that mean the same, per team and scope (everything about a request but its prompt's
 * wording), indexed by locality-sensitive hash buckets. One team never reads another's entries.
 */
public interface SemanticCacheStore {

    /** A kept prompt: its id, its text (for the false-hit guard) and its embedding. */
    record Entry(String id, String prompt, float[] vector) {}

    /** The unexpired entries of these buckets in the team's scope, newest first; at most a bounded page per bucket. */
    List<Entry> candidates(String team, String scope, List<String> buckets);

    /** The answer kept with an entry, if it has not expired. */
    Optional<byte[]> answer(String team, String entryId);

    /**
     * Keeps an answer under its entry's buckets.
     *
     * @param maxEntries the team's bound on live entries
     * @return false when the team's bound is reached and nothing was kept
     */
    boolean put(String team, String scope, List<String> buckets, Entry entry, byte[] answer, Duration ttl, long maxEntries);
}
