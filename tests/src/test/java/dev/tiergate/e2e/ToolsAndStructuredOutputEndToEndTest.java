package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.tiergate.core.config.ConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tools and structured outputs through the gateway and back, with the official OpenAI Java SDK: the fields pass
 * through untouched, and the simulated vLLM answers them as vLLM does (refusing {@code auto} where the tier's server
 * has no tool-call parser).
 */
class ToolsAndStructuredOutputEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static StackFixture fx;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(ConfigLoader.load(StackFixture.EXAMPLE_CONFIG), 0);
        Map<String, String> key = fx.createKey("search", "ana");
        client = OpenAIOkHttpClient.builder().apiKey(key.get("key")).baseUrl(fx.url() + "/v1").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (fx != null) fx.close();
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                .description("The current weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                "city", Map.of("type", "string"),
                                "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city", "unit")))
                        .build())
                .build()).build();
    }

    @Test
    void aToolTheUserAsksForComesBackAsACallWithArgumentsItsSchemaAccepts() throws Exception {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("small")
                .addUserMessage("What is the weather in Lisbon?").addTool(weatherTool()).build());
        ChatCompletion.Choice choice = c.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.function().name()).isEqualTo("get_weather");
        JsonNode args = JSON.readTree(call.function().arguments());
        assertThat(args.get("city").isTextual()).isTrue();
        assertThat(args.get("unit").asText()).isIn("celsius", "fahrenheit");
        assertThat(c.usage().orElseThrow().completionTokens()).isPositive();
    }

    @Test
    void aStreamedCallArrivesInPiecesThatAddUpToTheArguments() throws Exception {
        StringBuilder args = new StringBuilder();
        String name = null;
        String finish = null;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("small").addUserMessage("Weather, please.").addTool(weatherTool())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
                for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                    for (ChatCompletionChunk.Choice.Delta.ToolCall t : ch.delta().toolCalls().orElse(List.of())) {
                        if (t.function().flatMap(f -> f.name()).isPresent()) name = t.function().get().name().get();
                        t.function().flatMap(f -> f.arguments()).ifPresent(args::append);
                    }
                    if (ch.finishReason().isPresent()) finish = ch.finishReason().get().asString();
                }
            }
        }
        assertThat(name).isEqualTo("get_weather");
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(JSON.readTree(args.toString()).has("city")).isTrue();
    }

    @Test
    void aJsonSchemaResponseFormatGetsJsonTheSchemaAccepts() throws Exception {
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
                .name("verdict").schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("label", Map.of("type", "string", "enum", List.of("spam", "ham")),
                                "score", Map.of("type", "number", "minimum", 0))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("label", "score"))).build()).build()).build();
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("small")
                .addUserMessage("Classify: win a free cruise").responseFormat(format).build());
        JsonNode answer = JSON.readTree(c.choices().get(0).message().content().orElseThrow());
        assertThat(answer.get("label").asText()).isIn("spam", "ham");
        assertThat(answer.get("score").isNumber()).isTrue();
    }

    @Test
    void logprobsComeBackPerTokenWholeAndStreamedAndABadRequestForThemIsA400() throws Exception {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("small").seed(5).maxCompletionTokens(12)
                .addUserMessage("Say something short.").logprobs(true).topLogprobs(2).build();
        ChatCompletion c = client.chat().completions().create(params);
        List<com.openai.models.chat.completions.ChatCompletionTokenLogprob> tokens =
                c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        assertThat(tokens).isNotEmpty().allSatisfy(t -> {
            assertThat(t.logprob()).isNegative();
            assertThat(t.topLogprobs()).hasSize(2);
            assertThat(t.topLogprobs().get(0).token()).isEqualTo(t.token());
        });
        String text = c.choices().get(0).message().content().orElseThrow();
        assertThat(tokens.stream().map(com.openai.models.chat.completions.ChatCompletionTokenLogprob::token).collect(java.util.stream.Collectors.joining()))
                .isEqualTo(text);
        assertThat((long) tokens.size()).isEqualTo(c.usage().orElseThrow().completionTokens());

        // Streamed through the gateway, each chunk keeps its tokens' log probabilities: the same tokens as the whole answer.
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().flatMap(ch -> ch.choices().stream()).forEach(ch -> ch.logprobs().flatMap(l -> l.content())
                    .ifPresent(list -> list.forEach(t -> streamed.append(t.token()))));
        }
        assertThat(streamed.toString()).isEqualTo(text);

        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("small")
                .addUserMessage("hi").topLogprobs(2).build()))
                // The gateway refuses this one itself, before anything is dispatched.
                .isInstanceOfSatisfying(BadRequestException.class, b -> assertThat(b.getMessage()).contains("'logprobs' set to true"));
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("small")
                .addUserMessage("hi").logprobs(true).topLogprobs(21).build()))
                .isInstanceOfSatisfying(BadRequestException.class, b -> assertThat(b.getMessage()).contains("from 0 to 20"));
    }

    @Test
    void autoToolChoiceOnATierWhoseServerHasNoToolParserIsVllmsOwn400() throws Exception {
        try (StackFixture plain = new StackFixture(BudgetConfig.config(), 0)) {
            OpenAIClient c = OpenAIOkHttpClient.builder().apiKey(plain.createKey("search", "bo").get("key"))
                    .baseUrl(plain.url() + "/v1").maxRetries(0).build();
            try {
                assertThatThrownBy(() -> c.chat().completions().create(ChatCompletionCreateParams.builder().model("small")
                        .addUserMessage("What is the weather in Lisbon?").addTool(weatherTool()).build()))
                        .isInstanceOfSatisfying(BadRequestException.class, b -> assertThat(b.getMessage()).contains("--enable-auto-tool-choice"));
            } finally {
                c.close();
            }
        }
    }
}
