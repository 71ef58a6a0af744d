package dev.tiergate.core.ports;

import dev.tiergate.core.auth.ApiKey;

import java.util.List;
import java.util.Optional;

/** Where API keys live, by the SHA-256 hash of their secret: the secret itself is never stored. */
public interface KeyStore {

    Optional<ApiKey> findByHash(String secretHash);

    /** Stores a new key; fails if a key with the same hash already exists. */
    void create(ApiKey key);

    Optional<ApiKey> findById(String id);

    /** Keys of one team, or of every team; admin listings, not the request path. */
    List<ApiKey> list(Optional<String> team);

    /**
     * Replaces the key as read by {@code changed} (revoked, or under a new secret: the old hash stops working in the
     * same write that the new one starts), stored as the next version. False, and nothing written, when the stored key
     * is no longer the version read: another change came first.
     */
    boolean replace(ApiKey asRead, ApiKey changed);

    /** The bootstrap admin key, if one was installed. */
    Optional<dev.tiergate.core.auth.BootstrapKey> bootstrap();

    /**
     * Makes {@code key} the one bootstrap admin key, replacing the stored one if it is still the version read
     * ({@code replacing}; empty: there was none), and deletes rows an older release kept for it (by the SHA-256 of an
     * earlier secret), so an old secret stops working. False, and nothing written, when the stored key changed
     * meanwhile (it was revoked, or another instance installed a key first).
     */
    boolean installBootstrap(dev.tiergate.core.auth.BootstrapKey key, java.util.OptionalLong replacing);
}
