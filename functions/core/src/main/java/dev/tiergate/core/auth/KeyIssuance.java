package dev.tiergate.core.auth;

import dev.tiergate.core.budget.RateLimits;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a key may grant when it creates (or rotates) another: never more than it holds.
 *
 * <ul>
 *   <li>Roles: an organisation admin creates keys of every role in every team; a team admin creates user and team admin
 *       keys in its own team; a user key creates none.</li>
 *   <li>Tiers: a subset of the creator's ({@code allowed_tiers} left out inherits the creator's; an empty list, "all
 *       tiers", only from a creator that has all).</li>
 *   <li>Rate limits: the new key's requests also count in every rate limit its creator counts in, so minting keys adds
 *       nothing to the creator's allowance; its own limits, if asked for, must be within the creator's.</li>
 *   <li>Expiry: no later than the creator's ({@code expires_at} left out inherits it).</li>
 * </ul>
 */
public final class KeyIssuance {

    private KeyIssuance() {
    }

    /** What a creator asked for; empty fields inherit the creator's. */
    public record Asked(String team, Role role, Optional<List<String>> tiers, RateLimits limits, Optional<Instant> expiresAt) {}

    /** What the new key gets. */
    public record Grant(List<String> tiers, RateLimits limits, List<ApiKey.SharedLimit> sharedLimits, Optional<Instant> expiresAt) {}

    public sealed interface Verdict permits Granted, Refused {}

    public record Granted(Grant grant) implements Verdict {}

    /** Why not; {@code field} is the request field at fault, if one is. */
    public record Refused(String reason, Optional<String> field) implements Verdict {}

    public static boolean mayCreate(Role creator, Role created) {
        return switch (creator) {
            case ORG_ADMIN -> true;
            case TEAM_ADMIN -> created != Role.ORG_ADMIN;
            case USER -> false;
        };
    }

    public static Verdict grant(ApiKey creator, Asked asked) {
        if (!mayCreate(creator.role(), asked.role())) {
            return refused(creator.role() == Role.USER ? "Only admin keys may create keys."
                    : "A team admin may create user and team_admin keys only, not " + asked.role().wire() + ".", "role");
        }
        if (creator.role() == Role.TEAM_ADMIN && !creator.team().equals(asked.team())) {
            return refused("A team admin may create keys only in team '" + creator.team() + "'.", "team");
        }
        List<String> tiers = asked.tiers().orElse(creator.allowedTiers());
        if (!creator.allowedTiers().isEmpty()) {
            if (tiers.isEmpty()) {
                return refused("This key may use only " + creator.allowedTiers() + ", so it cannot grant every tier; list them in 'allowed_tiers'.", "allowed_tiers");
            }
            List<String> beyond = tiers.stream().filter(t -> !creator.allowedTiers().contains(t)).toList();
            if (!beyond.isEmpty()) return refused("This key may not grant tiers " + beyond + "; it may use only " + creator.allowedTiers() + ".", "allowed_tiers");
        }
        Optional<String> tooHigh = beyondCreator(creator, asked.limits());
        if (tooHigh.isPresent()) return refused(tooHigh.get(), "rate_limits");
        Optional<Instant> expires = asked.expiresAt().or(creator::expiresAt);
        if (creator.expiresAt().isPresent() && expires.get().isAfter(creator.expiresAt().get())) {
            return refused("This key expires at " + creator.expiresAt().get() + "; a key it creates may not outlive it.", "expires_at");
        }
        return new Granted(new Grant(tiers, asked.limits(), creator.allRateLimits(), expires));
    }

    /**
     * Whether {@code caller} holds everything {@code key} grants: rotating a key hands out its new secret, so only a
     * caller that could have created it may.
     */
    public static Optional<String> whyNotCovered(ApiKey caller, ApiKey key) {
        if (!mayCreate(caller.role(), key.role())) return Optional.of("A " + caller.role().wire() + " key may not rotate a " + key.role().wire() + " key.");
        if (caller.role() != Role.ORG_ADMIN && !caller.team().equals(key.team())) return Optional.of("The key is in another team.");
        if (!caller.allowedTiers().isEmpty()
                && (key.allowedTiers().isEmpty() || !caller.allowedTiers().containsAll(key.allowedTiers()))) {
            return Optional.of("The key may use tiers this key may not (" + (key.allowedTiers().isEmpty() ? "all" : key.allowedTiers()) + ").");
        }
        for (ApiKey.SharedLimit limit : caller.allRateLimits()) {
            boolean counted = key.id().equals(limit.keyId()) || key.sharedLimits().stream().anyMatch(s -> s.keyId().equals(limit.keyId()));
            if (!counted) return Optional.of("The key is not bound by this key's rate limits.");
        }
        if (caller.expiresAt().isPresent() && key.expiresAt().map(e -> e.isAfter(caller.expiresAt().get())).orElse(true)) {
            return Optional.of("The key outlives this key.");
        }
        return Optional.empty();
    }

    /** A limit asked for above one the creator is bound by (its own or one it shares). */
    private static Optional<String> beyondCreator(ApiKey creator, RateLimits asked) {
        List<String> problems = new ArrayList<>();
        for (ApiKey.SharedLimit bound : creator.allRateLimits()) {
            check("requests_per_minute", asked.requestsPerMinute(), bound.limits().requestsPerMinute(), problems);
            check("tokens_per_minute", asked.tokensPerMinute(), bound.limits().tokensPerMinute(), problems);
            check("max_concurrent", asked.maxConcurrent(), bound.limits().maxConcurrent(), problems);
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of("Rate limits beyond this key's own: " + String.join(", ", problems) + ".");
    }

    private static void check(String name, Optional<Integer> asked, Optional<Integer> bound, List<String> problems) {
        if (asked.isPresent() && bound.isPresent() && asked.get() > bound.get()) {
            problems.add(name + " " + asked.get() + " > " + bound.get());
        }
    }

    private static Refused refused(String why, String field) {
        return new Refused(why, Optional.of(field));
    }
}
