package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hard limit holds whatever a request asks for: {@code n} choices, tool definitions the chat template puts in the
 * prompt, images only the model's processor can count. The simulator counts them as vLLM does (the prompt once for n,
 * tools and image tokens as prompt tokens) and always writes max_tokens per choice; DynamoDB Local keeps the ledger.
 */
class WorstCaseBudgetEndToEndTest {

    private static final String YAML = """
            organization: acme
            gateway: {key_cache_seconds: 0}
            budgets: {cache_seconds: 0, default_max_tokens: 64}
            routing:
              embedding: {enabled: false}
            tiers:
              - name: small
                model: w-small
                context_window: 8192
                prices_per_million: {input: 1, output: 2}
                fleet: {instance_type: g5.xlarge, model_id: test/small, vllm: {max_model_len: 8192}}
                simulator: {output_tokens: {min: 400, max: 400}}
              - name: large
                model: w-large
                context_window: 8192
                prices_per_million: {input: 10, output: 20}
                fleet: {instance_type: g5.xlarge, model_id: test/large, vllm: {max_model_len: 8192}}
                simulator: {output_tokens: {min: 400, max: 400}}
            """;

    private static StackFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(ConfigLoader.parse(YAML, "worst-case.yaml"), 0);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    /** A new key whose day limit is {@code limit} dollars. */
    private static Map<String, String> keyWithDayLimit(String team, String limit) throws Exception {
        Map<String, String> k = fx.createKey(team, "u");
        HttpResponse<String> put = fx.put("/admin/budgets/key/" + k.get("id"), StackFixture.ADMIN_KEY,
                "{\"limits_usd\":{\"day\":" + limit + "}}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return k;
    }

    private static String chat(String extra, String content) {
        return "{\"model\":\"small\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]" + extra + "}";
    }

    private static BigDecimal spent(String team) {
        return fx.usage(team).stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    private static BigDecimal ledgerDay(String keyId) throws Exception {
        JsonNode b = StackFixture.JSON.readTree(fx.get("/admin/budgets/key/" + keyId, StackFixture.ADMIN_KEY).body());
        return new BigDecimal(b.at("/periods/day/spent_usd").asText());
    }

    private static void assertRefusedForBudget(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        assertThat(StackFixture.JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("budget_exceeded");
    }

    @Test
    void nChoicesAreReservedNTimesAndTheLimitIsNeverPassed() throws Exception {
        // One choice: ~30 prompt tokens and 64 output tokens, about $0.00018. Eight: 512 output tokens, over $0.001.
        Map<String, String> k = keyWithDayLimit("wc-n", "0.0005");
        HttpResponse<String> eight = fx.post("/v1/chat/completions", k.get("key"), chat(",\"n\":8", "\"Tell me a story.\""));
        assertRefusedForBudget(eight);

        int served = 0;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> two = fx.post("/v1/chat/completions", k.get("key"), chat(",\"n\":2", "\"Tell me a story.\""));
            if (two.statusCode() == 200) {
                served++;
                JsonNode body = StackFixture.JSON.readTree(two.body());
                assertThat(body.get("choices")).hasSize(2);
                assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(128);
            } else {
                assertRefusedForBudget(two);
            }
        }
        assertThat(served).isPositive();
        List<UsageRecord> records = fx.usage("wc-n");
        assertThat(records).hasSize(served);
        assertThat(spent("wc-n")).isLessThanOrEqualTo(new BigDecimal("0.0005")).isEqualByComparingTo(ledgerDay(k.get("id")));
    }

    @Test
    void toolDefinitionsCountAsPromptTokens() throws Exception {
        // ~3,000 tokens of tool definitions: ~$0.003 of prompt the chat template adds, over a $0.001 limit.
        StringBuilder tools = new StringBuilder(",\"tools\":[");
        for (int i = 0; i < 40; i++) {
            if (i > 0) tools.append(',');
            tools.append("{\"type\":\"function\",\"function\":{\"name\":\"lookup_record_").append(i)
                    .append("\",\"description\":\"Looks up one customer record by its identifier and returns every field of it, "
                            + "including the billing address, the shipping address and the order history of the last year.\",")
                    .append("\"parameters\":{\"type\":\"object\",\"properties\":{\"customer_id\":{\"type\":\"string\"},"
                            + "\"include_orders\":{\"type\":\"boolean\"}},\"required\":[\"customer_id\"]}}}");
        }
        tools.append(']');
        Map<String, String> k = keyWithDayLimit("wc-tools", "0.001");
        assertRefusedForBudget(fx.post("/v1/chat/completions", k.get("key"), chat(tools.toString(), "\"Find customer 42.\"")));
        // Without the tools the same request fits, and is charged what the simulator counted.
        HttpResponse<String> plain = fx.post("/v1/chat/completions", k.get("key"), chat("", "\"Find customer 42.\""));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        assertThat(spent("wc-tools")).isLessThanOrEqualTo(new BigDecimal("0.001")).isEqualByComparingTo(ledgerDay(k.get("id")));
    }

    @Test
    void anImageIsReservedAtWhatTheTierCouldCountAndChargedWhatItDid() throws Exception {
        String image = "[{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]";
        // The simulator counts 576 tokens for the image (~$0.0007 with the text and output): over a $0.0005 limit.
        Map<String, String> tight = keyWithDayLimit("wc-img", "0.0005");
        assertRefusedForBudget(fx.post("/v1/chat/completions", tight.get("key"), chat("", image)));
        assertThat(spent("wc-img")).isZero();

        // The worst case is the tier's whole context less the output bound: 8,128 prompt tokens and 64 output, $0.008256.
        Map<String, String> roomy = keyWithDayLimit("wc-img2", "0.0083");
        HttpResponse<String> r = fx.post("/v1/chat/completions", roomy.get("key"), chat("", image));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        long prompt = StackFixture.JSON.readTree(r.body()).at("/usage/prompt_tokens").asLong();
        assertThat(prompt).isGreaterThan(576);
        BigDecimal charged = spent("wc-img2");
        assertThat(charged).isEqualByComparingTo(BigDecimal.valueOf(prompt * 1 + 64 * 2).movePointLeft(6));
        assertThat(charged).isEqualByComparingTo(ledgerDay(roomy.get("id")));
        JsonNode day = StackFixture.JSON.readTree(fx.get("/admin/budgets/key/" + roomy.get("id"), StackFixture.ADMIN_KEY).body()).at("/periods/day");
        assertThat(new BigDecimal(day.get("reserved_usd").asText())).isEqualByComparingTo(BigDecimal.ZERO);
    }
}
