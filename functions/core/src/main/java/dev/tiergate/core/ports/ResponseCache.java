package dev.tiergate.core.ports;

import java.time.Duration;
import java.util.Optional;

/** Answers kept for exact repeats of deterministic requests, per team: one team never receives another's answer. */
public interface ResponseCache {

    /** The stored chat.completion JSON for this team and key, if present and not expired. */
    Optional<byte[]> find(String team, String key);

    void put(String team, String key, String tier, byte[] completionJson, Duration ttl);
}
