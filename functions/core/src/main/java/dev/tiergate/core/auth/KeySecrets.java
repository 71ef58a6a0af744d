package dev.tiergate.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Makes key secrets and ids, and hashes secrets: only {@link #hash} of a secret is ever stored. */
public final class KeySecrets {

    private final SecureRandom random;

    public KeySecrets(SecureRandom random) {
        this.random = random;
    }

    /** A new secret: {@code tg-} and 256 random bits, URL-safe. */
    public String newSecret() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return "tg-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A new public key id, safe to log and show. */
    public String newKeyId() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return "key_" + HexFormat.of().formatHex(b);
    }

    public static String hash(String secret) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
