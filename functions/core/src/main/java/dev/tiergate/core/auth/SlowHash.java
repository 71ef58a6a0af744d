package dev.tiergate.core.auth;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A salted, deliberately slow hash (PBKDF2-HMAC-SHA256) for a secret a person may have chosen, such as the bootstrap
 * admin key: a copy of the keys table must not let anyone try guesses at SHA-256 speed. Generated keys carry 256
 * random bits, for which SHA-256 alone is enough and keeps authentication one look-up.
 *
 * @param encoded {@code pbkdf2-sha256$ITERATIONS$SALT$HASH}, salt and hash in base64
 */
public record SlowHash(String encoded) {

    /** OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023): ~0.13 s on one core of the 2-core build machine. */
    public static final int ITERATIONS = 600_000;
    private static final String SCHEME = "pbkdf2-sha256";

    public SlowHash {
        String[] p = encoded.split("\\$");
        if (p.length != 4 || !p[0].equals(SCHEME)) throw new IllegalArgumentException("not a " + SCHEME + " hash");
    }

    public static SlowHash of(String secret, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return new SlowHash(SCHEME + "$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(derive(secret, salt, ITERATIONS)));
    }

    /** Whether {@code secret} is the one hashed, compared in constant time. */
    public boolean matches(String secret) {
        String[] p = encoded.split("\\$");
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] expected = b64.decode(p[3]);
        return MessageDigest.isEqual(expected, derive(secret, b64.decode(p[2]), Integer.parseInt(p[1])));
    }

    private static byte[] derive(String secret, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(secret.toCharArray(), salt, iterations, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is required of every JDK", e);
        }
    }
}
