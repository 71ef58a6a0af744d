package dev.tiergate.core.ports;

import java.time.Instant;

/**
 * Remembers the answer to a request sent with an {@code Idempotency-Key}, per API key, so that a client's retry gets
 * the first answer back and is not charged again.
 */
public interface IdempotencyStore {

    sealed interface Begin permits Started, Replay, InProgress, Mismatch {}

    /** First time: go ahead, and complete or abandon afterwards. */
    record Started() implements Begin {}

    /** Done before: this is the answer. */
    record Replay(int status, String contentType, byte[] body) implements Begin {}

    /** The first request with this key is still running. */
    record InProgress() implements Begin {}

    /** The key was used for a different request body. */
    record Mismatch() implements Begin {}

    Begin begin(String keyId, String idempotencyKey, String requestHash, Instant expiresAt);

    void complete(String keyId, String idempotencyKey, int status, String contentType, byte[] body);

    /** Forgets a started key whose request failed, so that the client's retry runs again. */
    void abandon(String keyId, String idempotencyKey);
}
