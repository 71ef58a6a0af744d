package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tiergate.adapters.metrics.PrometheusText;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing-only deployment the benchmarks measure ({@code tests/benchmarks/routing-only.yaml}: budgets, the response
 * cache and usage records off): requests are routed, answered and priced, nothing is written to DynamoDB for them,
 * spend reads say plainly that there is nothing to read, and the metrics still count the money.
 */
class RoutingOnlyEndToEndTest {

    private static final Path ROUTING_ONLY = Path.of("benchmarks", "routing-only.yaml");

    private static StackFixture fx;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(ConfigLoader.load(ROUTING_ONLY), 0);
        client = OpenAIOkHttpClient.builder().apiKey(fx.createKey("search", "ana").get("key")).baseUrl(fx.url() + "/v1")
                .maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (fx != null) fx.close();
    }

    @Test
    void theBenchmarkConfigIsTheExampleWithOnlyItsMarkedLinesChanged() throws Exception {
        List<String> example = Files.readAllLines(StackFixture.EXAMPLE_CONFIG);
        List<String> bench = new ArrayList<>(Files.readAllLines(ROUTING_ONLY));
        assertThat(bench.subList(0, 3)).allMatch(l -> l.startsWith("# ")); // its own header, then the example's lines
        bench.subList(0, 3).clear();
        assertThat(bench).hasSameSizeAs(example);
        int changed = 0;
        for (int i = 0; i < example.size(); i++) {
            if (example.get(i).equals(bench.get(i))) continue;
            assertThat(bench.get(i)).as("line %d differs from tiergate.yaml without a 'benchmark:' mark", i + 1).contains("# benchmark:");
            changed++;
        }
        assertThat(changed).isEqualTo(3);
        TiergateConfig c = ConfigLoader.load(ROUTING_ONLY);
        assertThat(c.budgets().enabled()).isFalse();
        assertThat(c.usage().record()).isFalse();
        assertThat(c.gateway().cacheTtlSeconds()).isZero();
        assertThat(ConfigLoader.load(StackFixture.EXAMPLE_CONFIG).usage().record()).isTrue();
    }

    @Test
    void requestsAreAnsweredAndPricedButLeaveNoRecordAndSpendReadsSaySo() throws Exception {
        BigDecimal charged = BigDecimal.ZERO;
        for (int i = 0; i < 5; i++) {
            HttpResponseFor<ChatCompletion> res = client.chat().completions().withRawResponse().create(ChatCompletionCreateParams.builder()
                    .model("small").addUserMessage("Say hello, number " + i).build());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.parse().choices()).hasSize(1);
            charged = charged.add(new BigDecimal(res.headers().values("x-tiergate-cost-usd").getFirst()));
        }
        assertThat(charged).isPositive();

        // Nothing was written for them: the usage table is read straight from DynamoDB Local.
        fx.stack.gateway().awaitSettlementsWritten();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(fx.stack.gateway().usage().forTeamDay("search", today)).isEmpty();
        assertThat(fx.stack.gateway().usage().forOrgDay("default", today)).isEmpty();

        // Spend reads answer in the OpenAI error shape, after authentication (no key is still a 401).
        var usage = fx.get("/admin/usage?team=search", StackFixture.ADMIN_KEY);
        assertThat(usage.statusCode()).isEqualTo(409);
        JsonNode err = StackFixture.JSON.readTree(usage.body()).get("error");
        assertThat(err.get("code").asText()).isEqualTo("usage_records_off");
        assertThat(err.get("message").asText()).contains("usage.record: false");
        assertThat(fx.get("/admin/usage?team=search", null).statusCode()).isEqualTo(401);
        var report = fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "{}");
        assertThat(report.statusCode()).isEqualTo(409);
        assertThat(StackFixture.JSON.readTree(report.body()).at("/error/code").asText()).isEqualTo("usage_records_off");

        // The money is still counted where this deployment keeps it: the metrics, to the cent of the answers' headers.
        PrometheusText.Scrape s = PrometheusText.parse(fx.get("/metrics", StackFixture.ADMIN_KEY).body());
        double cost = s.named("tiergate_cost_usd_total").stream().filter(x -> "search".equals(x.labels().get("team")))
                .mapToDouble(PrometheusText.Sample::value).sum();
        assertThat(cost).isCloseTo(charged.doubleValue(), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(s.named("tiergate_settlements_pending")).isEmpty(); // no write-behind queue to export
    }
}
