package dev.tiergate.core.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MESSAGES = "\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static ChatRequest parse(String extra) throws Exception {
        return ChatRequest.from(JSON.readTree("{" + MESSAGES + extra + "}"));
    }

    @Test
    void nullMeansNotSetAsOpenAiTakesIt() throws Exception {
        ChatRequest r = parse(",\"n\":null,\"temperature\":null,\"top_p\":null,\"stop\":null,\"seed\":null");
        assertThat(r.choices()).isEqualTo(1);
    }

    @Test
    void choicesMediaAndToolsAreCounted() throws Exception {
        ChatRequest r = ChatRequest.from(JSON.readTree("{\"model\":\"auto\",\"n\":3,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"what is this\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"y\"}}]}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"));
        assertThat(r.choices()).isEqualTo(3);
        assertThat(r.mediaParts()).isEqualTo(2);
        assertThat(r.toolsText()).contains("\"name\":\"f\"");
        assertThat(parse("").toolsText()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {",\"temperature\":\"hot\"", ",\"temperature\":-5", ",\"temperature\":2.5", ",\"top_p\":\"x\"",
            ",\"top_p\":1.5", ",\"presence_penalty\":3", ",\"frequency_penalty\":-2.1", ",\"seed\":1.5", ",\"n\":0", ",\"n\":\"2\"",
            ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", ",\"stop\":7", ",\"logprobs\":\"yes\"", ",\"top_logprobs\":3",
            ",\"logprobs\":true,\"top_logprobs\":21", ",\"logit_bias\":{\"50256\":-101}", ",\"tools\":{}", ",\"user\":5"})
    void outOfRangeOrMistypedSamplingIsA400NamingTheField(String extra) {
        assertThatThrownBy(() -> parse(extra)).isInstanceOfSatisfying(OpenAiError.Failure.class, f -> {
            assertThat(f.error().status()).isEqualTo(400);
            assertThat(f.error().param()).isPresent();
            assertThat(extra).contains(f.error().param().get());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {",\"temperature\":0", ",\"temperature\":2", ",\"top_p\":1", ",\"presence_penalty\":-2",
            ",\"stop\":\"END\"", ",\"stop\":[\"a\",\"b\"]", ",\"logprobs\":true,\"top_logprobs\":5", ",\"seed\":-7",
            ",\"logit_bias\":{\"50256\":-100}"})
    void inRangeSamplingIsAccepted(String extra) throws Exception {
        assertThat(parse(extra).model()).isEqualTo("auto");
    }

    @Test
    void aLegacyCompletionCountsEverySequenceItGeneratesAndDefaultsTo16Tokens() throws Exception {
        ChatRequest c = ChatRequest.fromCompletion(JSON.readTree("{\"model\":\"small\",\"prompt\":[\"one\",\"two\",\"three\"],\"n\":2,\"best_of\":4}"));
        assertThat(c.endpoint()).isEqualTo(Endpoint.COMPLETIONS);
        assertThat(c.choices()).isEqualTo(12);
        assertThat(c.maxTokens()).contains(16);
        assertThat(c.promptText()).contains("one", "two", "three");
        assertThatThrownBy(() -> ChatRequest.fromCompletion(JSON.readTree("{\"model\":\"small\",\"prompt\":\"x\",\"n\":3,\"best_of\":2}")))
                .isInstanceOfSatisfying(OpenAiError.Failure.class, f -> assertThat(f.error().param()).contains("best_of"));
        // Legacy completions count their logprobs; chat switches them on.
        assertThat(ChatRequest.fromCompletion(JSON.readTree("{\"model\":\"small\",\"prompt\":\"x\",\"logprobs\":3}")).choices()).isEqualTo(1);
        assertThatThrownBy(() -> ChatRequest.fromCompletion(JSON.readTree("{\"model\":\"small\",\"prompt\":\"x\",\"logprobs\":true}")))
                .isInstanceOfSatisfying(OpenAiError.Failure.class, f -> assertThat(f.error().param()).contains("logprobs"));
        assertThatThrownBy(() -> ChatRequest.fromCompletion(JSON.readTree("{\"model\":\"small\",\"prompt\":[1,2]}")))
                .isInstanceOfSatisfying(OpenAiError.Failure.class, f -> assertThat(f.error().param()).contains("prompt"));
    }

    @Test
    void anEmbeddingRequestCountsTokenIdsExactlyAndIsNeverStreamed() throws Exception {
        ChatRequest e = ChatRequest.fromEmbedding(JSON.readTree("{\"model\":\"embed\",\"input\":[\"hello\",[5,6,7]]}"));
        assertThat(e.endpoint()).isEqualTo(Endpoint.EMBEDDINGS);
        assertThat(e.messageCount()).isEqualTo(2);
        assertThat(e.idTokens()).isEqualTo(3);
        assertThat(e.promptText()).contains("hello");
        assertThatThrownBy(() -> ChatRequest.fromEmbedding(JSON.readTree("{\"model\":\"embed\",\"input\":\"x\",\"stream\":true}")))
                .isInstanceOf(OpenAiError.Failure.class);
        assertThatThrownBy(() -> ChatRequest.fromEmbedding(JSON.readTree("{\"model\":\"embed\",\"input\":[[-1]]}")))
                .isInstanceOf(OpenAiError.Failure.class);
    }
}
