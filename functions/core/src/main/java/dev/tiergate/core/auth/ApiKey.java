package dev.tiergate.core.auth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An API key as stored: its public id, the SHA-256 hash of its secret, and who it belongs to. A key belongs to
 * exactly one user in exactly one team, so every request counts against one key, user, team and organisation.
 *
 * @param allowedTiers the tiers this key may use; empty means all
 */
public record ApiKey(String id, String secretHash, String org, String team, String user, Role role,
                     List<String> allowedTiers, Instant createdAt, Optional<Instant> expiresAt, boolean revoked,
                     dev.tiergate.core.budget.RateLimits rateLimits) {

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
    }

    public ApiKey(String id, String secretHash, String org, String team, String user, Role role, List<String> allowedTiers,
                  Instant createdAt, Optional<Instant> expiresAt, boolean revoked) {
        this(id, secretHash, org, team, user, role, allowedTiers, createdAt, expiresAt, revoked, dev.tiergate.core.budget.RateLimits.NONE);
    }

    public boolean usableAt(Instant now) {
        return !revoked && expiresAt.map(now::isBefore).orElse(true);
    }
}
