package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The semantic cache on the local stack: the real embedding model, DynamoDB Local, real HTTP, the official OpenAI
 * Java SDK. A paraphrase is answered free and marked, in the shape asked for; a near miss and another team are not;
 * the ledger adds up to the records with hits counted free.
 */
class SemanticCacheEndToEndTest {

    private static StackFixture fx;

    @BeforeAll
    static void start() throws Exception {
        String yaml = BudgetConfig.yaml(10_000, 1_000)
                + "teams:\n  faq: {semantic_cache: {enabled: true}}\n  other: {semantic_cache: {enabled: true}}\n";
        fx = new StackFixture(ConfigLoader.parse(yaml, "semantic.yaml"), 0);
        // Routing by embedding is off here; the cache loads the model for itself.
        assertThat(fx.stack.gateway().routing().awaitReady(Duration.ofSeconds(60))).isTrue();
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static OpenAIClient client(String team, String user) throws Exception {
        return OpenAIOkHttpClient.builder().apiKey(fx.createKey(team, user).get("key")).baseUrl(fx.url() + "/v1").maxRetries(0).build();
    }

    private static ChatCompletionCreateParams ask(String prompt) {
        return ChatCompletionCreateParams.builder().model("small").temperature(0).maxCompletionTokens(20)
                .addSystemMessage("Answer in one sentence.").addUserMessage(prompt).build();
    }

    private static String header(HttpResponseFor<?> r, String name) {
        List<String> v = r.headers().values(name);
        return v.isEmpty() ? "" : v.getFirst();
    }

    /** The cache is filled off the request path: asks until it answers, keeping what the model said meanwhile. */
    private static HttpResponseFor<ChatCompletion> untilSemanticHit(OpenAIClient c, String prompt, List<String> modelAnswers) throws Exception {
        for (int i = 0; i < 60; i++) {
            HttpResponseFor<ChatCompletion> r = c.chat().completions().withRawResponse().create(ask(prompt));
            if (header(r, "x-tiergate-cache").equals("semantic")) return r;
            modelAnswers.add(r.parse().choices().getFirst().message().content().orElse(""));
            Thread.sleep(50);
        }
        throw new AssertionError("'" + prompt + "' was never answered from the semantic cache");
    }

    @Test
    void aParaphraseIsServedFreeAndMarkedWholeAndStreamedAndTheLedgerAddsUp() throws Exception {
        OpenAIClient faq = client("faq", "fay");
        try {
            HttpResponseFor<ChatCompletion> first = faq.chat().completions().withRawResponse().create(ask("What is the capital of France?"));
            assertThat(header(first, "x-tiergate-cache")).isEqualTo("miss");
            assertThat(new BigDecimal(header(first, "x-tiergate-cost-usd"))).isPositive();
            List<String> answers = new ArrayList<>(List.of(first.parse().choices().getFirst().message().content().orElseThrow()));

            HttpResponseFor<ChatCompletion> hit = untilSemanticHit(faq, "Which city is the capital of France?", answers);

            assertThat(header(hit, "x-tiergate-cost-usd")).isEqualTo("0");
            assertThat(Double.parseDouble(header(hit, "x-tiergate-cache-similarity"))).isBetween(0.83, 1.0);
            String kept = hit.parse().choices().getFirst().message().content().orElseThrow();
            assertThat(kept).isIn(answers);

            // Streamed, the kept answer comes as chunks with the same text.
            try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> r = faq.chat().completions().withRawResponse()
                    .createStreaming(ask("Which city is the capital of France?"))) {
                assertThat(header(r, "x-tiergate-cache")).isEqualTo("semantic");
                String text = r.parse().stream().flatMap(ch -> ch.choices().stream())
                        .map(ch -> ch.delta().content().orElse("")).collect(Collectors.joining());
                assertThat(text).isEqualTo(kept);
            }

            List<UsageRecord> records = fx.usage("faq");
            assertThat(records).filteredOn(r -> r.outcome() == Outcome.SEMANTIC_CACHE_HIT).hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(r -> assertThat(r.cost().isZero()).isTrue());
            BigDecimal sum = records.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
            JsonNode day = StackFixture.JSON.readTree(fx.get("/admin/budgets/team/faq", StackFixture.ADMIN_KEY).body()).at("/periods/day");
            assertThat(new BigDecimal(day.get("spent_usd").asText())).isEqualByComparingTo(sum);
        } finally {
            faq.close();
        }
    }

    @Test
    void aNearMissIsAnsweredByTheModelAndAnotherTeamNeverGetsTheAnswer() throws Exception {
        OpenAIClient faq = client("faq", "fin");
        OpenAIClient other = client("other", "oda");
        try {
            faq.chat().completions().create(ask("How do I convert meters to feet?"));
            untilSemanticHit(faq, "How can I convert meters into feet?", new ArrayList<>());

            HttpResponseFor<ChatCompletion> reversed = faq.chat().completions().withRawResponse().create(ask("How do I convert feet to meters?"));
            assertThat(header(reversed, "x-tiergate-cache")).isEqualTo("miss");
            assertThat(new BigDecimal(header(reversed, "x-tiergate-cost-usd"))).isPositive();

            HttpResponseFor<ChatCompletion> elsewhere = other.chat().completions().withRawResponse().create(ask("How can I convert meters into feet?"));
            assertThat(header(elsewhere, "x-tiergate-cache")).isEqualTo("miss");
            assertThat(fx.usage("other")).extracting(UsageRecord::outcome).containsOnly(Outcome.OK);
        } finally {
            faq.close();
            other.close();
        }
    }
}
