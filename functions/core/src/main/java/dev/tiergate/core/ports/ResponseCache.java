package dev.tiergate.core.ports;

import java.time.Duration;
import java.util.Optional;

/** Answers kept for exact repeats of deterministic requests, per team: one team never receives another's answer. */
public interface ResponseCache {

    /** The stored chat.completion JSON for this team and key, if present and not expired. */
    default Optional<byte[]> find(String team, String key) {
        return find(team, key, false);
    }

    /**
     * @param allowStale also an expired answer still stored: the fallback when every tier failed, when an old
     *                   answer is better than none
     */
    Optional<byte[]> find(String team, String key, boolean allowStale);

    void put(String team, String key, String tier, byte[] completionJson, Duration ttl);
}
