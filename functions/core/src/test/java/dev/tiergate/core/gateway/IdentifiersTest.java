package dev.tiergate.core.gateway;

import dev.tiergate.core.protocol.OpenAiError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdentifiersTest {

    @ParameterizedTest
    @CsvSource({"ana+test,ana+test", "ana%2Btest,ana+test", "team%2541,team%41", "caf%C3%A9,café", "a%2Fb,a/b", "plain,plain"})
    void aSegmentIsDecodedOnceWithPlusLiteral(String raw, String decoded) {
        assertThat(Identifiers.segment(raw)).isEqualTo(decoded);
    }

    @ParameterizedTest
    @ValueSource(strings = {"%zz", "%2", "abc%", "%C3%28", "%FF"})
    void malformedEscapesAndInvalidUtf8Are400(String raw) {
        assertThatThrownBy(() -> Identifiers.segment(raw)).isInstanceOfSatisfying(OpenAiError.Failure.class,
                f -> assertThat(f.error().status()).isEqualTo(400));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ana test", "team%41", "", "-lead", "x\u0000"})
    void namesFollowTheRulesTheyWereCreatedBy(String id) {
        assertThatThrownBy(() -> Identifiers.name(id, "user")).isInstanceOf(OpenAiError.Failure.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"key_0123456789abcdef", "key_bootstrap_admin"})
    void keyIdsAsTheyAreMade(String id) {
        assertThat(Identifiers.keyId(id)).isEqualTo(id);
        assertThatThrownBy(() -> Identifiers.keyId(id + "0")).isInstanceOf(OpenAiError.Failure.class);
    }
}
