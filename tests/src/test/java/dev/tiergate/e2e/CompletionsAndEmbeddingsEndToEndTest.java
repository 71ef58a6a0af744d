package dev.tiergate.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The legacy completions and the embeddings endpoints through the official OpenAI Java SDK: routed, held, dispatched to
 * simulated vLLM replicas that answer in vLLM's shapes, and charged exactly what the usage records say.
 */
class CompletionsAndEmbeddingsEndToEndTest {

    private static final String YAML = """
            organization: acme
            gateway: {key_cache_seconds: 0}
            routing:
              embedding: {enabled: false}
            tiers:
              - name: embed
                model: e5-small
                context_window: 512
                capabilities: [embeddings]
                prices_per_million: {input: 0.02, output: 0}
                fleet: {instance_type: g5.xlarge, model_id: intfloat/e5-small-v2, vllm: {max_model_len: 512}}
              - name: small
                model: c-small
                context_window: 4096
                prices_per_million: {input: 0.5, output: 1.5}
                fleet: {instance_type: g5.xlarge, model_id: test/small, vllm: {max_model_len: 4096}}
                simulator: {output_tokens: {min: 30, max: 30}}
            """;

    private static final dev.tiergate.core.config.TiergateConfig CONFIG = ConfigLoader.parse(YAML, "endpoints.yaml");
    private static StackFixture fx;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(CONFIG, 0);
        Map<String, String> key = fx.createKey("search", "ana");
        client = OpenAIOkHttpClient.builder().apiKey(key.get("key")).baseUrl(fx.url() + "/v1").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (fx != null) fx.close();
    }

    private static UsageRecord record(String requestId) {
        return fx.usage("search").stream().filter(r -> r.requestId().equals(requestId)).findFirst()
                .orElseThrow(() -> new AssertionError("no usage record for " + requestId));
    }

    private static void costMatches(String costHeader, UsageRecord r) {
        assertThat(new BigDecimal(costHeader)).isEqualByComparingTo(r.cost().amount());
        assertThat(r.cost()).isEqualTo(TierPricing.cost(CONFIG.tier(r.tier()).orElseThrow().prices(), r.tokens()));
    }

    @Test
    void aLegacyCompletionIsRoutedPastTheEmbeddingTierAndChargedItsTokens() {
        HttpResponseFor<Completion> raw = client.completions().withRawResponse().create(CompletionCreateParams.builder()
                .model("auto").prompt("Say something about GPUs.").maxTokens(12).build());
        Completion c = raw.parse();
        assertThat(c.choices()).singleElement().satisfies(choice -> assertThat(choice.text()).isNotBlank());
        assertThat(raw.headers().values("x-tiergate-tier")).containsExactly("small");
        UsageRecord r = record(raw.headers().values("x-tiergate-request-id").get(0));
        assertThat(r.tokens().completionTokens()).isEqualTo(c.usage().orElseThrow().completionTokens()).isEqualTo(12);
        costMatches(raw.headers().values("x-tiergate-cost-usd").get(0), r);
    }

    @Test
    void aStreamedLegacyCompletionArrivesAsTextChunks() {
        try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("small").prompt("Count to three.").maxTokens(10).build())) {
            List<Completion> chunks = stream.stream().toList();
            String text = chunks.stream().flatMap(ch -> ch.choices().stream()).map(ch -> ch.text()).collect(Collectors.joining());
            assertThat(text).isNotBlank();
            assertThat(chunks).allSatisfy(ch -> assertThat(ch.model()).isEqualTo("c-small"));
        }
    }

    @Test
    void aCompletionAsksForItsDefault16TokensNotTheBudgetsBound() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("small").prompt("Hello").build());
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(16);
    }

    @Test
    void embeddingsAreServedByTheEmbeddingTierAndChargedByInputTokens() {
        HttpResponseFor<CreateEmbeddingResponse> raw = client.embeddings().withRawResponse().create(EmbeddingCreateParams.builder()
                .model("auto").inputOfArrayOfStrings(List.of("a red apple", "a green pear")).build());
        CreateEmbeddingResponse e = raw.parse();
        assertThat(e.data()).hasSize(2);
        assertThat(e.data().get(0).embedding()).hasSize(64);
        assertThat(raw.headers().values("x-tiergate-tier")).containsExactly("embed");
        UsageRecord r = record(raw.headers().values("x-tiergate-request-id").get(0));
        assertThat(r.tokens().promptTokens()).isEqualTo(e.usage().promptTokens()).isPositive();
        assertThat(r.tokens().completionTokens()).isZero();
        costMatches(raw.headers().values("x-tiergate-cost-usd").get(0), r);
    }

    @Test
    void aGenerativeTierRefusesEmbeddingsAndTheEmbeddingTierRefusesChat() {
        assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder().model("small").input("hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, b -> assertThat(b.getMessage()).contains("embeddings"));
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("embed").prompt("hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, b -> assertThat(b.getMessage()).contains("only embeds"));
    }

    @Test
    void theModelListSaysWhatEachTierServes() throws Exception {
        var list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(fx.get("/v1/models", fx.createKey("search", "bo").get("key")).body());
        Map<String, List<String>> endpoints = new java.util.HashMap<>();
        for (var m : list.get("data")) {
            List<String> e = new java.util.ArrayList<>();
            m.get("endpoints").forEach(x -> e.add(x.asText()));
            endpoints.put(m.get("id").asText(), e);
        }
        assertThat(endpoints.get("embed")).containsExactly("/v1/embeddings");
        assertThat(endpoints.get("small")).containsExactly("/v1/chat/completions", "/v1/completions");
    }

    @Test
    void legacyCompletionLogprobsAreParallelListsOverTheTextsTokens() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("small").prompt("Count to three.")
                .maxTokens(8).logprobs(3).seed(2).build());
        var lp = c.choices().get(0).logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        assertThat(String.join("", tokens)).isEqualTo(c.choices().get(0).text());
        assertThat(lp.tokenLogprobs().orElseThrow()).hasSameSizeAs(tokens).allSatisfy(p -> assertThat(p).isNegative());
        assertThat(lp.textOffset().orElseThrow()).hasSameSizeAs(tokens).startsWith(0L);
        assertThat(lp.topLogprobs().orElseThrow()).hasSameSizeAs(tokens);
        assertThat((long) tokens.size()).isEqualTo(c.usage().orElseThrow().completionTokens());
    }
}
