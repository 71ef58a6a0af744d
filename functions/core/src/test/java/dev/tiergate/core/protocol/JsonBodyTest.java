package dev.tiergate.core.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonBodyTest {

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":1} xyz", "{\"a\":1}{\"a\":2}", "{\"a\":1,\"a\":2}", "{\"m\":{\"x\":1,\"x\":1}}", "[1] 2", "{\"a\":"})
    void anythingButExactlyOneJsonValueWithoutDuplicateKeysIsInvalidJson(String body) {
        assertThatThrownBy(() -> JsonBody.parse(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(OpenAiError.Failure.class, f -> assertThat(f.error().code()).contains("invalid_json"));
    }

    @Test
    void oneValueWithTrailingWhiteSpaceIsRead() {
        assertThat(JsonBody.parse("{\"a\":1}\n \t".getBytes(StandardCharsets.UTF_8))).hasValueSatisfying(n -> assertThat(n.get("a").asInt()).isEqualTo(1));
        assertThat(JsonBody.parse(new byte[0])).isEmpty();
    }
}
