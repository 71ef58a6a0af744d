package dev.tiergate.core.auth;

import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.ports.KeyStore;

import java.time.Clock;

/**
 * Finds the caller of a request from its bearer key. Look-ups are remembered for a few seconds per instance (by the
 * key's hash, never its secret), so a revocation reaches every instance within that time and a hot key costs no read
 * per request.
 */
public final class Authenticator {

    private static final int MAX_CACHED = 10_000;

    private record Cached(java.util.Optional<ApiKey> key, java.time.Instant until) {}

    private final KeyStore keys;
    private final Clock clock;
    private final java.time.Duration ttl;
    private final java.util.Map<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

    public Authenticator(KeyStore keys, Clock clock) {
        this(keys, clock, java.time.Duration.ZERO);
    }

    public Authenticator(KeyStore keys, Clock clock, java.time.Duration ttl) {
        this.keys = keys;
        this.clock = clock;
        this.ttl = ttl;
    }

    private java.util.Optional<ApiKey> find(String hash) {
        if (ttl.isZero()) return keys.findByHash(hash);
        java.time.Instant now = clock.instant();
        Cached c = cache.get(hash);
        if (c != null && now.isBefore(c.until())) return c.key();
        java.util.Optional<ApiKey> k = keys.findByHash(hash);
        if (cache.size() >= MAX_CACHED) cache.clear();
        cache.put(hash, new Cached(k, now.plus(ttl)));
        return k;
    }

    /** The key behind the request's {@code Authorization: Bearer} header; 401 when missing, unknown, revoked or expired. */
    public ApiKey authenticate(ApiRequest request) {
        String header = request.header("Authorization").orElse("").trim();
        if (header.isEmpty()) throw OpenAiError.missingKey().failure();
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) throw OpenAiError.missingKey().failure();
        String secret = header.substring(7).trim();
        if (secret.isEmpty() || secret.length() > 512) throw OpenAiError.invalidKey().failure();
        ApiKey key = find(KeySecrets.hash(secret)).orElseThrow(() -> OpenAiError.invalidKey().failure());
        if (!key.usableAt(clock.instant())) throw OpenAiError.invalidKey().failure();
        return key;
    }
}
