package dev.tiergate.core.auth;

import dev.tiergate.core.budget.RateLimits;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An API key as stored: its public id, the SHA-256 hash of its secret, and who it belongs to. A key belongs to
 * exactly one user in exactly one team, so every request counts against one key, user, team and organisation.
 *
 * @param allowedTiers the tiers this key may use; empty means all
 * @param rateLimits   this key's own rate limits
 * @param sharedLimits the rate limits of the keys that created this one, which its requests count in as well: a key
 *                     minted by a rate-limited admin adds nothing to that admin's allowance
 * @param version      bumped by every change of the stored key, so that concurrent changes are conditional writes
 */
public record ApiKey(String id, String secretHash, String org, String team, String user, Role role,
                     List<String> allowedTiers, Instant createdAt, Optional<Instant> expiresAt, boolean revoked,
                     RateLimits rateLimits, List<SharedLimit> sharedLimits, long version) {

    /** A creator's rate limits, counted in the row of the key {@code keyId}. */
    public record SharedLimit(String keyId, RateLimits limits) {
        public SharedLimit {
            Objects.requireNonNull(keyId);
            Objects.requireNonNull(limits);
        }
    }

    public ApiKey {
        Objects.requireNonNull(id);
        Objects.requireNonNull(secretHash);
        Objects.requireNonNull(org);
        Objects.requireNonNull(team);
        Objects.requireNonNull(user);
        Objects.requireNonNull(role);
        allowedTiers = List.copyOf(allowedTiers);
        Objects.requireNonNull(createdAt);
        Objects.requireNonNull(expiresAt);
        Objects.requireNonNull(rateLimits);
        sharedLimits = List.copyOf(sharedLimits);
    }

    /** A new key with no rate limits. */
    public ApiKey(String id, String secretHash, String org, String team, String user, Role role, List<String> allowedTiers,
                  Instant createdAt, Optional<Instant> expiresAt, boolean revoked) {
        this(id, secretHash, org, team, user, role, allowedTiers, createdAt, expiresAt, revoked, RateLimits.NONE, List.of(), 0);
    }

    public boolean usableAt(Instant now) {
        return !revoked && expiresAt.map(now::isBefore).orElse(true);
    }

    /** Every rate limit this key's requests count in: its own (in its own row) and its creators'. */
    public List<SharedLimit> allRateLimits() {
        if (rateLimits.isEmpty()) return sharedLimits;
        return java.util.stream.Stream.concat(sharedLimits.stream(), java.util.stream.Stream.of(new SharedLimit(id, rateLimits))).toList();
    }

    /** The same key, revoked (the store writes the next version). */
    public ApiKey asRevoked() {
        return new ApiKey(id, secretHash, org, team, user, role, allowedTiers, createdAt, expiresAt, true, rateLimits, sharedLimits, version);
    }

    /** The same key under a new secret. */
    public ApiKey withSecretHash(String hash, Instant at) {
        return new ApiKey(id, hash, org, team, user, role, allowedTiers, at, expiresAt, revoked, rateLimits, sharedLimits, version);
    }

    /** As stored after one more change. */
    public ApiKey nextVersion() {
        return new ApiKey(id, secretHash, org, team, user, role, allowedTiers, createdAt, expiresAt, revoked, rateLimits, sharedLimits, version + 1);
    }
}
