package dev.tiergate.core.auth;

import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.ports.KeyStore;

import java.time.Clock;

/** Finds the caller of a request from its bearer key. */
public final class Authenticator {

    private final KeyStore keys;
    private final Clock clock;

    public Authenticator(KeyStore keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** The key behind the request's {@code Authorization: Bearer} header; 401 when missing, unknown, revoked or expired. */
    public ApiKey authenticate(ApiRequest request) {
        String header = request.header("Authorization").orElse("").trim();
        if (header.isEmpty()) throw OpenAiError.missingKey().failure();
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) throw OpenAiError.missingKey().failure();
        String secret = header.substring(7).trim();
        if (secret.isEmpty() || secret.length() > 512) throw OpenAiError.invalidKey().failure();
        ApiKey key = keys.findByHash(KeySecrets.hash(secret)).orElseThrow(() -> OpenAiError.invalidKey().failure());
        if (!key.usableAt(clock.instant())) throw OpenAiError.invalidKey().failure();
        return key;
    }
}
