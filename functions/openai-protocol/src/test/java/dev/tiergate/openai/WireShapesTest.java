package dev.tiergate.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The records write exactly the JSON vLLM's OpenAI server writes, key order and nulls included, and read it back. */
class WireShapesTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aWholeAnswerKeepsItsNullFields() throws Exception {
        ChatCompletion c = ChatCompletion.answer("chatcmpl-1", 1747650000, "m", "Hi!", "stop", Usage.of(12, 3));
        assertThat(json.writeValueAsString(c)).isEqualTo("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1747650000,"
                + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi!\",\"tool_calls\":[],"
                + "\"reasoning\":null},\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}],"
                + "\"usage\":{\"prompt_tokens\":12,\"total_tokens\":15,\"completion_tokens\":3,\"prompt_tokens_details\":null},\"system_fingerprint\":null}");
    }

    @Test
    void chunksCarryTheDeltaAndOnlyTheLastCarriesUsage() throws Exception {
        assertThat(json.writeValueAsString(ChatCompletionChunk.role("chatcmpl-1", 1747650000, "m", 0))).isEqualTo(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1747650000,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}");
        assertThat(json.writeValueAsString(ChatCompletionChunk.content("chatcmpl-1", 1747650000, "m", 0, "!", "stop"))).isEqualTo(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1747650000,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
        assertThat(json.writeValueAsString(ChatCompletionChunk.usage("chatcmpl-1", 1747650000, "m", Usage.of(12, 2)))).isEqualTo(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1747650000,\"model\":\"m\",\"choices\":[],"
                        + "\"usage\":{\"prompt_tokens\":12,\"total_tokens\":14,\"completion_tokens\":2,\"prompt_tokens_details\":null}}");
    }

    @Test
    void logprobsHaveVllmsKeysInBothShapes() throws Exception {
        TokenLogprobs chat = new TokenLogprobs(List.of(new TokenLogprobs.Token("Hi", -0.25, List.of(72, 105),
                List.of(new TokenLogprobs.Top("Hi", -0.25, List.of(72, 105)), new TokenLogprobs.Top(" the", -1.5, List.of(32, 116, 104, 101))))));
        assertThat(json.writeValueAsString(ChatCompletionChunk.content("c", 1, "m", 0, "Hi", null, chat))).contains(
                "\"logprobs\":{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.25,\"bytes\":[72,105],\"top_logprobs\":"
                        + "[{\"token\":\"Hi\",\"logprob\":-0.25,\"bytes\":[72,105]},{\"token\":\" the\",\"logprob\":-1.5,\"bytes\":[32,116,104,101]}]}]}");
        java.util.Map<String, Double> top = new java.util.LinkedHashMap<>();
        top.put("Hi", -0.25);
        top.put(" the", -1.5);
        TextLogprobs text = new TextLogprobs(List.of(0), List.of(-0.25), List.of("Hi"), List.of(top));
        assertThat(json.writeValueAsString(text)).isEqualTo(
                "{\"text_offset\":[0],\"token_logprobs\":[-0.25],\"tokens\":[\"Hi\"],\"top_logprobs\":[{\"Hi\":-0.25,\" the\":-1.5}]}");
        // vLLM writes a null log probability for an echoed first token; it reads back.
        TextLogprobs echoed = json.readValue("{\"text_offset\":[0],\"token_logprobs\":[null],\"tokens\":[\"Hi\"],\"top_logprobs\":[null]}",
                TextLogprobs.class);
        assertThat(echoed.tokenLogprobs()).containsExactly((Double) null);
    }

    @Test
    void cachedTokensAppearOnlyWhenCounted() throws Exception {
        assertThat(json.writeValueAsString(Usage.of(10, 2, 0))).contains("\"prompt_tokens_details\":null");
        assertThat(json.writeValueAsString(Usage.of(10, 2, 8))).contains("\"prompt_tokens_details\":{\"cached_tokens\":8}");
    }

    @Test
    void anUpstreamAnswerReadsBackIgnoringKeysItDoesNotModel() throws Exception {
        String vllm = "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":5,\"model\":\"m\",\"service_tier\":null,"
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"tool_calls\":[]},"
                + "\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}],"
                + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":5,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":1}}}";
        ChatCompletion c = json.readValue(vllm, ChatCompletion.class);
        ChatCompletion withLogprobs = json.readValue(vllm.replace("\"logprobs\":null", "\"logprobs\":{\"content\":[{\"token\":\"ok\",\"logprob\":-0.1}]}"),
                ChatCompletion.class);
        assertThat(withLogprobs.text()).isEqualTo("ok");
        assertThat(c.text()).isEqualTo("ok");
        assertThat(c.choices().get(0).finishReason()).isEqualTo("length");
        assertThat(c.usage().cachedTokens()).isEqualTo(1);
        ChatCompletionChunk u = json.readValue("{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}", ChatCompletionChunk.class);
        assertThat(u.usage().completionTokens()).isEqualTo(2);
    }

    @Test
    void legacyCompletionsUseTextAndTheirOwnObjectName() throws Exception {
        TextCompletion t = new TextCompletion("cmpl-1", 7, "m", List.of(new TextCompletion.Choice(0, "yes", "stop", null)), Usage.of(1, 1), null);
        assertThat(json.writeValueAsString(t)).startsWith("{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":7")
                .contains("\"choices\":[{\"index\":0,\"text\":\"yes\",\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}]");
        assertThat(json.writeValueAsString(TextCompletionChunk.text("cmpl-1", 7, "m", 0, "y", null)))
                .isEqualTo("{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":7,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"text\":\"y\",\"logprobs\":null,\"finish_reason\":null}]}");
    }

    @Test
    void errorsCarryAStringCodeOrTheStatus() throws Exception {
        assertThat(json.writeValueAsString(ErrorResponse.of("too long", "invalid_request_error", "messages", "context_length_exceeded")))
                .isEqualTo("{\"error\":{\"message\":\"too long\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}");
        assertThat(json.writeValueAsString(ErrorResponse.of("no", "NotFoundError", null, 404)))
                .isEqualTo("{\"error\":{\"message\":\"no\",\"type\":\"NotFoundError\",\"param\":null,\"code\":404}}");
        assertThatThrownBy(() -> new ErrorResponse.Detail("m", "t", null, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eventsAreFramedOnce() {
        assertThat(ServerSentEvents.data("{}")).isEqualTo("data: {}\n\n");
        assertThat(ServerSentEvents.comment("tiergate-cost-usd 0.1")).isEqualTo(": tiergate-cost-usd 0.1\n\n");
        assertThat(ServerSentEvents.payload("data:  [DONE] ")).contains("[DONE]");
        assertThat(ServerSentEvents.payload(": keep-alive")).isEmpty();
    }
}
