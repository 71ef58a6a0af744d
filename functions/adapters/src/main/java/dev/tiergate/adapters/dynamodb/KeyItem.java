package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.budget.RateLimits;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.StaticImmutableTableSchema;
import software.amazon.awssdk.enhanced.dynamodb.EnhancedType;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.primaryPartitionKey;

/** A row of the keys table: the key's hash is the partition key, so authentication is one GetItem. */
record KeyItem(String hash, String id, String org, String team, String user, String role, List<String> allowedTiers,
               String createdAt, String expiresAt, Boolean revoked, Integer rpm, Integer tpm, Integer concurrent,
               List<String> sharedLimits, Long version, String verifier) {

    static final TableSchema<KeyItem> SCHEMA = StaticImmutableTableSchema.builder(KeyItem.class, Builder.class)
            .newItemBuilder(Builder::new, Builder::build)
            .addAttribute(String.class, a -> a.name("hash").getter(KeyItem::hash).setter(Builder::hash).tags(primaryPartitionKey()))
            .addAttribute(String.class, a -> a.name("id").getter(KeyItem::id).setter(Builder::id))
            .addAttribute(String.class, a -> a.name("org").getter(KeyItem::org).setter(Builder::org))
            .addAttribute(String.class, a -> a.name("team").getter(KeyItem::team).setter(Builder::team))
            .addAttribute(String.class, a -> a.name("user").getter(KeyItem::user).setter(Builder::user))
            .addAttribute(String.class, a -> a.name("role").getter(KeyItem::role).setter(Builder::role))
            .addAttribute(EnhancedType.listOf(String.class), a -> a.name("allowed_tiers").getter(KeyItem::allowedTiers).setter(Builder::allowedTiers))
            .addAttribute(String.class, a -> a.name("created_at").getter(KeyItem::createdAt).setter(Builder::createdAt))
            .addAttribute(String.class, a -> a.name("expires_at").getter(KeyItem::expiresAt).setter(Builder::expiresAt))
            .addAttribute(Boolean.class, a -> a.name("revoked").getter(KeyItem::revoked).setter(Builder::revoked))
            .addAttribute(Integer.class, a -> a.name("requests_per_minute").getter(KeyItem::rpm).setter(Builder::rpm))
            .addAttribute(Integer.class, a -> a.name("tokens_per_minute").getter(KeyItem::tpm).setter(Builder::tpm))
            .addAttribute(Integer.class, a -> a.name("max_concurrent").getter(KeyItem::concurrent).setter(Builder::concurrent))
            .addAttribute(EnhancedType.listOf(String.class), a -> a.name("shared_limits").getter(KeyItem::sharedLimits).setter(Builder::sharedLimits))
            .addAttribute(Long.class, a -> a.name("version").getter(KeyItem::version).setter(Builder::version))
            .addAttribute(String.class, a -> a.name("verifier").getter(KeyItem::verifier).setter(Builder::verifier))
            .build();

    static KeyItem from(ApiKey k) {
        return from(k, null);
    }

    /** @param verifier the bootstrap key's slow hash; null for every other key */
    static KeyItem from(ApiKey k, String verifier) {
        return new KeyItem(k.secretHash(), k.id(), k.org(), k.team(), k.user(), k.role().wire(), k.allowedTiers(),
                k.createdAt().toString(), k.expiresAt().map(Instant::toString).orElse(null), k.revoked(),
                k.rateLimits().requestsPerMinute().orElse(null), k.rateLimits().tokensPerMinute().orElse(null),
                k.rateLimits().maxConcurrent().orElse(null),
                k.sharedLimits().isEmpty() ? null : k.sharedLimits().stream().map(KeyItem::shared).toList(), k.version(), verifier);
    }

    ApiKey toKey() {
        return new ApiKey(id, hash, org, team, user, Role.fromWire(role), allowedTiers == null ? List.of() : allowedTiers,
                Instant.parse(createdAt), Optional.ofNullable(expiresAt).map(Instant::parse), Boolean.TRUE.equals(revoked),
                new RateLimits(Optional.ofNullable(rpm), Optional.ofNullable(tpm), Optional.ofNullable(concurrent)),
                sharedLimits == null ? List.of() : sharedLimits.stream().map(KeyItem::shared).toList(),
                version == null ? 0 : version);
    }

    /** A shared limit as {@code keyId|rpm|tpm|concurrent}, {@code -} where it has none. */
    private static String shared(ApiKey.SharedLimit s) {
        return s.keyId() + "|" + s.limits().requestsPerMinute().map(String::valueOf).orElse("-") + "|"
                + s.limits().tokensPerMinute().map(String::valueOf).orElse("-") + "|"
                + s.limits().maxConcurrent().map(String::valueOf).orElse("-");
    }

    private static ApiKey.SharedLimit shared(String s) {
        String[] p = s.split("\\|");
        return new ApiKey.SharedLimit(p[0], new RateLimits(number(p[1]), number(p[2]), number(p[3])));
    }

    private static Optional<Integer> number(String s) {
        return s.equals("-") ? Optional.empty() : Optional.of(Integer.parseInt(s));
    }

    static final class Builder {
        private String hash, id, org, team, user, role, createdAt, expiresAt;
        private List<String> allowedTiers;
        private Boolean revoked;
        private Integer rpm, tpm, concurrent;
        private List<String> sharedLimits;
        private Long version;
        private String verifier;

        void sharedLimits(List<String> v) { sharedLimits = v; }
        void version(Long v) { version = v; }
        void verifier(String v) { verifier = v; }

        void rpm(Integer v) { rpm = v; }
        void tpm(Integer v) { tpm = v; }
        void concurrent(Integer v) { concurrent = v; }

        void hash(String v) { hash = v; }
        void id(String v) { id = v; }
        void org(String v) { org = v; }
        void team(String v) { team = v; }
        void user(String v) { user = v; }
        void role(String v) { role = v; }
        void allowedTiers(List<String> v) { allowedTiers = v; }
        void createdAt(String v) { createdAt = v; }
        void expiresAt(String v) { expiresAt = v; }
        void revoked(Boolean v) { revoked = v; }

        KeyItem build() {
            return new KeyItem(hash, id, org, team, user, role, allowedTiers, createdAt, expiresAt, revoked, rpm, tpm, concurrent,
                    sharedLimits, version, verifier);
        }
    }
}
