package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The walking skeleton driven as a client would: the official OpenAI Java SDK against the local stack (DynamoDB
 * Local, simulated vLLM replicas, the gateway), every answer checked against the usage records in DynamoDB.
 */
class ChatCompletionsEndToEndTest {

    static StackFixture fx;
    static Map<String, String> key;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        // A quarter of the example tiers' simulated speed: streams take a few hundred ms, tests stay fast.
        startOn(new StackFixture(0.25));
    }

    static void startOn(StackFixture stack) throws Exception {
        fx = stack;
        key = fx.createKey("search", "ana");
        client = OpenAIOkHttpClient.builder().apiKey(key.get("key")).baseUrl(fx.url() + "/v1").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (fx != null) fx.close();
    }

    private static UsageRecord record(String team, String requestId) {
        return fx.usage(team).stream().filter(r -> r.requestId().equals(requestId)).findFirst()
                .orElseThrow(() -> new AssertionError("no usage record for " + requestId));
    }

    @Test
    void completionIsAnsweredRoutedPricedAndRecorded() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("auto")
                .addSystemMessage("You are concise.").addUserMessage("What is a GPU?").build();
        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(params);
        ChatCompletion c = raw.parse();
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().get(0).message().content()).hasValueSatisfying(t -> assertThat(t).isNotBlank());
        assertThat(c.model()).isEqualTo("llama-3.1-8b-instruct");

        String requestId = raw.headers().values("x-tiergate-request-id").get(0);
        assertThat(raw.headers().values("x-tiergate-tier")).containsExactly("small");
        String costHeader = raw.headers().values("x-tiergate-cost-usd").get(0);

        UsageRecord r = record("search", requestId);
        long prompt = c.usage().orElseThrow().promptTokens();
        long completion = c.usage().orElseThrow().completionTokens();
        assertThat(r.tokens().promptTokens()).isEqualTo(prompt).isPositive();
        assertThat(r.tokens().completionTokens()).isEqualTo(completion).isPositive();
        assertThat(r.keyId()).isEqualTo(key.get("id")).doesNotContain(key.get("key"));
        assertThat(r.user()).isEqualTo("ana");
        assertThat(r.tier()).isEqualTo("small");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.OK);
        assertThat(r.usageSource()).isEqualTo(dev.tiergate.core.usage.UsageSource.UPSTREAM);
        // small: $0.05 in / $0.10 out per million, so cost is exact and equals the header to the last digit.
        BigDecimal expected = new BigDecimal("0.05").multiply(BigDecimal.valueOf(prompt))
                .add(new BigDecimal("0.10").multiply(BigDecimal.valueOf(completion))).divide(BigDecimal.valueOf(1_000_000));
        assertThat(r.cost().amount()).isEqualByComparingTo(expected);
        assertThat(new BigDecimal(costHeader)).isEqualByComparingTo(expected);
        assertThat(r.cost()).isEqualTo(TierPricing.cost(fx.stack.gateway().config().tierNamed("small").prices(), r.tokens()));
    }

    @Test
    void namedTierOrModelGoesStraightToIt() {
        HttpResponseFor<ChatCompletion> byTier = client.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("large").addUserMessage("hi").build());
        assertThat(byTier.headers().values("x-tiergate-tier")).containsExactly("large");
        HttpResponseFor<ChatCompletion> byModel = client.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("qwen2.5-32b-instruct").addUserMessage("hi").build());
        assertThat(byModel.headers().values("x-tiergate-tier")).containsExactly("medium");
        assertThat(byModel.parse().model()).isEqualTo("qwen2.5-32b-instruct");
    }

    @Test
    void streamPassesChunksThroughAsTheyArriveAndRecordsUsageFromTheFinalChunk() throws Exception {
        Map<String, String> streamKey = fx.createKey("stream-team", "bo");
        OpenAIClient c = OpenAIOkHttpClient.builder().apiKey(streamKey.get("key")).baseUrl(fx.url() + "/v1").maxRetries(0).build();
        try {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("large")
                    .addUserMessage("Explain prefix caching.")
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
            List<String> pieces = new ArrayList<>();
            int recordsAtFirstChunk = -1;
            ChatCompletionChunk usageChunk = null;
            try (StreamResponse<ChatCompletionChunk> stream = c.chat().completions().createStreaming(params)) {
                Iterator<ChatCompletionChunk> it = stream.stream().iterator();
                while (it.hasNext()) {
                    ChatCompletionChunk chunk = it.next();
                    if (chunk.usage().isPresent()) usageChunk = chunk;
                    for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                        ch.delta().content().filter(s -> !s.isEmpty()).ifPresent(s -> pieces.add(s));
                    }
                    // The record is written only when the stream ends: seeing none now proves this chunk was not buffered.
                    if (recordsAtFirstChunk < 0 && !pieces.isEmpty()) recordsAtFirstChunk = fx.usage("stream-team").size();
                }
            }
            assertThat(pieces.size()).isGreaterThan(10);
            assertThat(recordsAtFirstChunk).isZero();
            List<UsageRecord> records = fx.usage("stream-team");
            assertThat(records).hasSize(1);
            UsageRecord r = records.get(0);
            assertThat(r.stream()).isTrue();
            assertThat(r.outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.OK);
            assertThat(r.usageSource()).isEqualTo(dev.tiergate.core.usage.UsageSource.UPSTREAM);
            assertThat(usageChunk).isNotNull();
            assertThat(r.tokens().completionTokens()).isEqualTo(usageChunk.usage().get().completionTokens());
            assertThat(r.tokens().promptTokens()).isEqualTo(usageChunk.usage().get().promptTokens());
            assertThat(r.cost().isZero()).isFalse();
        } finally {
            c.close();
        }
    }

    @Test
    void streamRecordsUsageEvenWhenTheClientDidNotAskForIt() throws Exception {
        Map<String, String> k = fx.createKey("quiet-team", "cy");
        HttpResponse<String> res = fx.post("/v1/chat/completions", k.get("key"),
                "{\"model\":\"small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
        List<UsageRecord> records = fx.usage("quiet-team");
        assertThat(records).hasSize(1);
        assertThat(records.get(0).tokens().completionTokens()).isPositive();
        assertThat(records.get(0).usageSource()).isEqualTo(dev.tiergate.core.usage.UsageSource.UPSTREAM);
    }

    @Test
    void unknownModelIs404AndCostsNothing() {
        int before = fx.usage("search").size();
        assertThatThrownBy(() -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-9").addUserMessage("hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("gpt-9");
                });
        assertThat(fx.usage("search")).hasSize(before);
    }

    @Test
    void unknownOrMissingKeyIs401() throws Exception {
        OpenAIClient wrong = OpenAIOkHttpClient.builder().apiKey("tg-not-a-real-key").baseUrl(fx.url() + "/v1").maxRetries(0).build();
        try {
            assertThatThrownBy(() -> wrong.chat().completions().create(
                    ChatCompletionCreateParams.builder().model("auto").addUserMessage("hi").build()))
                    .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.statusCode()).isEqualTo(401));
        } finally {
            wrong.close();
        }
        HttpResponse<String> none = fx.post("/v1/chat/completions", null, "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(error(none).get("code").asText()).isEqualTo("missing_api_key");
    }

    @Test
    void malformedJsonMissingMessagesAndBadRolesAre400WithNoSpend() throws Exception {
        int before = fx.usage("search").size();
        HttpResponse<String> broken = fx.post("/v1/chat/completions", key.get("key"), "{\"model\":\"auto\",\"messages\":[");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(error(broken).get("code").asText()).isEqualTo("invalid_json");
        assertThat(broken.headers().firstValue("x-tiergate-request-id")).isPresent();

        HttpResponse<String> missing = fx.post("/v1/chat/completions", key.get("key"), "{\"model\":\"auto\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(error(missing).get("param").asText()).isEqualTo("messages");

        HttpResponse<String> role = fx.post("/v1/chat/completions", key.get("key"),
                "{\"model\":\"auto\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}");
        assertThat(role.statusCode()).isEqualTo(400);
        assertThat(error(role).get("param").asText()).isEqualTo("messages[0].role");

        HttpResponse<String> notObject = fx.post("/v1/chat/completions", key.get("key"), "[1,2,3]");
        assertThat(notObject.statusCode()).isEqualTo(400);
        assertThat(fx.usage("search")).hasSize(before);
    }

    @Test
    void oversizedBodyIs413WithNoSpend() throws Exception {
        int before = fx.usage("search").size();
        String big = "x".repeat(fx.stack.gateway().config().gateway().maxBodyBytes() + 10);
        HttpResponse<String> res = fx.post("/v1/chat/completions", key.get("key"),
                "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}");
        assertThat(res.statusCode()).isEqualTo(413);
        assertThat(error(res).get("code").asText()).isEqualTo("request_too_large");
        assertThat(fx.usage("search")).hasSize(before);
    }

    @Test
    void modelsListsAutoAndTheTiers() throws Exception {
        List<String> ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertThat(ids).containsExactly("auto", "small", "medium", "large");
    }

    @Test
    void adminFleetNeedsTheAdminKeyAndListsReplicas() throws Exception {
        assertThat(fx.get("/admin/fleet", key.get("key")).statusCode()).isEqualTo(403);
        HttpResponse<String> res = fx.get("/admin/fleet", StackFixture.ADMIN_KEY);
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode tiers = StackFixture.JSON.readTree(res.body()).get("tiers");
        assertThat(tiers).hasSize(3);
        boolean sageMaker = fx.stack.sageMakerRuntime().isPresent();
        for (JsonNode t : tiers) {
            if (sageMaker) {
                // One endpoint per tier, which SageMaker balances: no replica list.
                assertThat(t.get("kind").asText()).isEqualTo("sagemaker");
                assertThat(t.get("sagemaker_endpoint").asText()).isEqualTo("tiergate-" + t.get("name").asText());
                assertThat(t.has("replicas")).isFalse();
            } else {
                assertThat(t.get("kind").asText()).isEqualTo("ec2");
                assertThat(t.get("replicas")).hasSize(1);
                assertThat(t.get("replicas").get(0).asText()).startsWith("http://127.0.0.1:");
            }
        }
    }

    @Test
    void adminKeysValidatesItsInputAndShowsTheSecretOnlyOnce() throws Exception {
        HttpResponse<String> noTeam = fx.post("/admin/keys", StackFixture.ADMIN_KEY, "{\"user\":\"x\"}");
        assertThat(noTeam.statusCode()).isEqualTo(400);
        assertThat(error(noTeam).get("param").asText()).isEqualTo("team");
        HttpResponse<String> unknown = fx.post("/admin/keys", StackFixture.ADMIN_KEY, "{\"team\":\"a\",\"user\":\"b\",\"colour\":\"red\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        HttpResponse<String> byUser = fx.post("/admin/keys", key.get("key"), "{\"team\":\"a\",\"user\":\"b\"}");
        assertThat(byUser.statusCode()).isEqualTo(403);
        HttpResponse<String> ok = fx.post("/admin/keys", StackFixture.ADMIN_KEY, "{\"team\":\"a\",\"user\":\"b\"}");
        assertThat(ok.statusCode()).isEqualTo(201);
        JsonNode created = StackFixture.JSON.readTree(ok.body());
        assertThat(created.get("key").asText()).startsWith("tg-").hasSizeGreaterThan(40);
        assertThat(created.get("id").asText()).startsWith("key_");
    }

    private static JsonNode error(HttpResponse<String> res) throws Exception {
        return StackFixture.JSON.readTree(res.body()).get("error");
    }
}
