package dev.tiergate.core.ports;

import dev.tiergate.core.auth.ApiKey;

import java.util.Optional;

/** Where API keys live, by the SHA-256 hash of their secret: the secret itself is never stored. */
public interface KeyStore {

    Optional<ApiKey> findByHash(String secretHash);

    /** Stores a new key; fails if a key with the same hash already exists. */
    void create(ApiKey key);

    /** Stores or replaces a key (used for the bootstrap admin key, whose secret comes from the environment). */
    void put(ApiKey key);
}
