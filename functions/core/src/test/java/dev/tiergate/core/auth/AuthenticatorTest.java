package dev.tiergate.core.auth;

import dev.tiergate.core.budget.RateLimits;
import dev.tiergate.core.protocol.OpenAiError;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthenticatorTest {

    private static final String BOOT = "tg-operator-chosen-bootstrap-1";
    private final InMemoryKeyStore keys = new InMemoryKeyStore();
    private final Authenticator auth = new Authenticator(keys, Clock.systemUTC(), Duration.ofSeconds(30));

    private static ApiKey bootstrapKey(long version) {
        return new ApiKey(BootstrapKey.ID, BootstrapKey.ROW, "acme", "admin", "bootstrap", Role.ORG_ADMIN, List.of(), Instant.now(),
                Optional.empty(), false, RateLimits.NONE, List.of(), version);
    }

    private ApiKey user(String secret) {
        ApiKey k = new ApiKey("key_00000000000000aa", KeySecrets.hash(secret), "acme", "t", "u", Role.USER, List.of(), Instant.now(),
                Optional.empty(), false);
        keys.create(k);
        return k;
    }

    private static Optional<String> bearer(String secret) {
        return Optional.of("Bearer " + secret);
    }

    private static void assertUnauthorized(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(OpenAiError.Failure.class, f -> assertThat(f.error().status()).isEqualTo(401));
    }

    @Test
    void aSecretWithAControlByteIsNoKeyButOptionalWhiteSpaceIs() {
        user("tg-user-secret-0123456789");
        assertThat(auth.authenticate(Optional.of("Bearer  tg-user-secret-0123456789 \t")).user()).isEqualTo("u");
        for (String junk : new String[]{"\u0000", "\u0001", "\u007f", " x"}) {
            assertUnauthorized(() -> auth.authenticate(bearer("tg-user-secret-0123456789" + junk)));
        }
    }

    @Test
    void theStoredBootstrapKeyIsCheckedOnAdminRoutesOnlyAndRememberedThen() {
        keys.installBootstrap(new BootstrapKey(bootstrapKey(0), SlowHash.of(BOOT, new SecureRandom())), OptionalLong.empty());
        // An API route never runs the slow check: a made-up or bootstrap key there costs one look-up.
        assertUnauthorized(() -> auth.authenticate(bearer(BOOT)));
        assertUnauthorized(() -> auth.authenticate(bearer("tg-made-up-0123456789abcdef")));
        assertThat(keys.bootstrapReads).hasValue(0);
        assertThat(auth.authenticateAdmin(bearer(BOOT)).id()).isEqualTo(BootstrapKey.ID);
        // Checked once here, it is the bootstrap key on every route of this instance.
        assertThat(auth.authenticate(bearer(BOOT)).role()).isEqualTo(Role.ORG_ADMIN);
    }

    @Test
    void whileItsHashIsStoredOnlyTheSecretThisInstanceWasGivenIsTheBootstrapKey() {
        keys.installBootstrap(new BootstrapKey(bootstrapKey(0), SlowHash.of("tg-the-previous-secret-0123", new SecureRandom())), OptionalLong.empty());
        auth.honourBootstrapLocally(BOOT, bootstrapKey(1));
        assertThat(auth.authenticate(bearer(BOOT)).id()).isEqualTo(BootstrapKey.ID);
        assertUnauthorized(() -> auth.authenticateAdmin(bearer("tg-the-previous-secret-0123")));
        auth.forget(BootstrapKey.ID); // revoked here: the stored key decides again
        assertUnauthorized(() -> auth.authenticate(bearer(BOOT)));
    }

    @Test
    void aRowAnOlderReleaseKeptForTheBootstrapKeyIsNeverHonoured() {
        String old = "tg-legacy-bootstrap-0123456789";
        keys.putLegacy(new ApiKey(BootstrapKey.ID, KeySecrets.hash(old), "acme", "admin", "bootstrap", Role.ORG_ADMIN, List.of(),
                Instant.now(), Optional.empty(), false));
        assertUnauthorized(() -> auth.authenticateAdmin(bearer(old)));
    }

    @Test
    void theInstanceThatRevokesForgetsTheKeyAtOnce() {
        ApiKey k = user("tg-user-secret-0123456789");
        assertThat(auth.authenticate(bearer("tg-user-secret-0123456789")).id()).isEqualTo(k.id());
        assertThat(keys.replace(k, k.asRevoked())).isTrue();
        assertThat(auth.authenticate(bearer("tg-user-secret-0123456789")).id()).isEqualTo(k.id()); // still cached: 30 s
        auth.forget(k.id());
        assertUnauthorized(() -> auth.authenticate(bearer("tg-user-secret-0123456789")));
    }
}
