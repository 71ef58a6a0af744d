package dev.tiergate.core.auth;

import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.protocol.OpenAiError;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Finds the caller of a request from its bearer key. Look-ups are remembered for a few seconds per instance (by the
 * key's hash, never its secret), so a revocation reaches every other instance within that time and a hot key costs no
 * read per request; the instance that revokes a key forgets it at once.
 *
 * <p>A secret no generated key has may be the bootstrap admin key, which is stored under a {@link SlowHash}. Checking
 * one costs ~0.1 s of CPU, so a match is remembered (by the secret's SHA-256 and the stored hash it matched), and
 * only one check runs at a time: a flood of made-up keys occupies at most one core.
 */
public final class Authenticator {

    private static final int MAX_CACHED = 10_000;
    /** The longest secret looked up; longer ones are refused unread. */
    private static final int MAX_SECRET = 512;

    private record Cached(Optional<ApiKey> key, Instant until) {}

    private final KeyStore keys;
    private final Clock clock;
    private final Duration ttl;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    /** SHA-256 of a secret → the bootstrap {@link SlowHash} it was found to match. */
    private final Map<String, String> bootstrapMatches = new ConcurrentHashMap<>();
    private final Semaphore slowChecks = new Semaphore(1);
    /** The bootstrap key this process was given, honoured from memory until its slow hash is stored. */
    private volatile Optional<Local> local = Optional.empty();

    private record Local(byte[] hash, ApiKey key) {}

    public Authenticator(KeyStore keys, Clock clock) {
        this(keys, clock, Duration.ZERO);
    }

    public Authenticator(KeyStore keys, Clock clock, Duration ttl) {
        this.keys = keys;
        this.clock = clock;
        this.ttl = ttl;
    }

    /**
     * The key behind an {@code Authorization: Bearer} header value, on an API route; 401 when missing, unknown, revoked
     * or expired: the bootstrap admin key only where this
     * instance was given it. The slow check of an unknown secret against the stored bootstrap key runs on admin routes
     * alone ({@link #authenticateAdmin}), so a made-up key on the API costs one look-up, not ~1 s of CPU.
     */
    public ApiKey authenticate(Optional<String> authorization) {
        return authenticate(authorization, false);
    }

    /** As {@link #authenticate(Optional)}, on an admin route, where the stored bootstrap key is checked too. */
    public ApiKey authenticateAdmin(Optional<String> authorization) {
        return authenticate(authorization, true);
    }

    private ApiKey authenticate(Optional<String> authorization, boolean adminRoute) {
        String header = stripOws(authorization.orElse(""));
        if (header.isEmpty()) throw OpenAiError.missingKey().failure();
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) throw OpenAiError.missingKey().failure();
        String secret = stripOws(header.substring(7));
        // Visible ASCII only: a NUL or control byte is not trimmed into some other key, it is no key.
        if (secret.isEmpty() || secret.length() > MAX_SECRET || !secret.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw OpenAiError.invalidKey().failure();
        }
        ApiKey key = find(secret, adminRoute).orElseThrow(() -> OpenAiError.invalidKey().failure());
        if (!key.usableAt(clock.instant())) throw OpenAiError.invalidKey().failure();
        return key;
    }

    /** Forgets every cached look-up of the key, on this instance: after a revocation or rotation here. */
    public void forget(String keyId) {
        cache.entrySet().removeIf(e -> e.getValue().key().map(k -> k.id().equals(keyId)).orElse(false));
        if (keyId.equals(BootstrapKey.ID)) {
            bootstrapMatches.clear();
            local = Optional.empty();
        }
    }

    /**
     * Honours {@code secret} as the bootstrap key {@code key} from memory, and no other secret as the bootstrap key,
     * while its slow hash is computed and stored: this process holds the operator's current secret, so an older one
     * still in the table is not the bootstrap key here.
     */
    public void honourBootstrapLocally(String secret, ApiKey key) {
        local = Optional.of(new Local(KeySecrets.hash(secret).getBytes(java.nio.charset.StandardCharsets.US_ASCII), key));
        cache.clear();
    }

    /** The stored bootstrap key decides again (its slow hash is stored, or it was revoked meanwhile). */
    public void stopHonouringBootstrapLocally() {
        local = Optional.empty();
        cache.clear();
    }

    /** Notes that {@code secret} matches {@code verifier}, known because it was just hashed with it. */
    public void rememberBootstrap(String secret, SlowHash verifier) {
        bootstrapMatches.put(KeySecrets.hash(secret), verifier.encoded());
    }

    private Optional<ApiKey> find(String secret, boolean adminRoute) {
        String hash = KeySecrets.hash(secret);
        if (ttl.isZero()) return lookUp(secret, hash, adminRoute);
        Instant now = clock.instant();
        Cached c = cache.get(hash);
        if (c != null && now.isBefore(c.until()) && (c.key().isPresent() || !adminRoute)) return c.key();
        Optional<ApiKey> k = lookUp(secret, hash, adminRoute);
        if (cache.size() >= MAX_CACHED) cache.clear();
        cache.put(hash, new Cached(k, now.plus(ttl)));
        return k;
    }

    private Optional<ApiKey> lookUp(String secret, String hash, boolean adminRoute) {
        // A row with the bootstrap key's id found by SHA-256 is one an older release stored: never the bootstrap key now.
        Optional<ApiKey> k = keys.findByHash(hash).filter(found -> !found.id().equals(BootstrapKey.ID));
        if (k.isPresent()) return k;
        Optional<Local> l = local;
        if (l.isPresent()) {
            boolean same = java.security.MessageDigest.isEqual(l.get().hash(), hash.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return same ? Optional.of(l.get().key()) : Optional.empty();
        }
        return bootstrap(secret, hash, adminRoute);
    }

    private Optional<ApiKey> bootstrap(String secret, String hash, boolean adminRoute) {
        // Only a secret this instance was given, or has already checked, is the bootstrap key on an API route.
        if (!adminRoute && !bootstrapMatches.containsKey(hash)) return Optional.empty();
        Optional<BootstrapKey> b = keys.bootstrap();
        if (b.isEmpty() || b.get().key().revoked()) return Optional.empty();
        String verifier = b.get().verifier().encoded();
        if (verifier.equals(bootstrapMatches.get(hash))) return Optional.of(b.get().key());
        if (!adminRoute) return Optional.empty();
        slowChecks.acquireUninterruptibly();
        try {
            if (!b.get().verifier().matches(secret)) return Optional.empty();
        } finally {
            slowChecks.release();
        }
        if (bootstrapMatches.size() >= 64) bootstrapMatches.clear();
        bootstrapMatches.put(hash, verifier);
        return Optional.of(b.get().key());
    }

    /** Optional white space around a field value (RFC 9110: spaces and tabs, nothing else). */
    private static String stripOws(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) from++;
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) to--;
        return s.substring(from, to);
    }
}
