package dev.tiergate.core.ports;

import dev.tiergate.core.auth.ApiKey;

import java.util.List;
import java.util.Optional;

/** Where API keys live, by the SHA-256 hash of their secret: the secret itself is never stored. */
public interface KeyStore {

    Optional<ApiKey> findByHash(String secretHash);

    /** Stores a new key; fails if a key with the same hash already exists. */
    void create(ApiKey key);

    /** Stores or replaces a key (the bootstrap admin key, revocation). */
    void put(ApiKey key);

    Optional<ApiKey> findById(String id);

    /** Keys of one team, or of every team; admin listings, not the request path. */
    List<ApiKey> list(Optional<String> team);

    /** Replaces a key's secret: the old hash stops working in the same write that the new one starts. */
    void rotate(ApiKey old, ApiKey rotated);
}
