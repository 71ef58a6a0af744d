package dev.tiergate.core.auth;

/**
 * The organisation admin key the operator holds the secret of (TIERGATE_ADMIN_KEY, or the deployment's Secrets
 * Manager secret). There is one at a time: installing another secret replaces it, and the old one stops working.
 * It is stored under the row {@link #ROW} rather than by its hash, since it is checked by a {@link SlowHash}.
 */
public record BootstrapKey(ApiKey key, SlowHash verifier) {

    public static final String ID = "key_bootstrap_admin";
    /** The keys table row it is stored in: not 64 hex digits, so no SHA-256 look-up ever finds it. */
    public static final String ROW = "bootstrap";

    public BootstrapKey {
        if (!key.id().equals(ID) || !key.secretHash().equals(ROW)) throw new IllegalArgumentException("not the bootstrap key's row");
    }
}
