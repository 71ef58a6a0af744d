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

import static org.assertj.core.api.Assertions.assertThat;

/** The response cache: exact repeats of deterministic requests, free, marked, per team, in the shape asked for. */
class ResponseCacheEndToEndTest {

    private static StackFixture fx;

    @BeforeAll
    static void start() throws Exception {
        String yaml = BudgetConfig.yaml(10_000, 1_000).replace("    simulator: {output_tokens: {min: 400, max: 400}}\n  - name: large",
                "    simulator: {output_tokens: {min: 400, max: 400}}\n    fallbacks: [cache]\n  - name: large")
                + "teams:\n  blue: {cache_ttl_seconds: 300}\n  green: {cache_ttl_seconds: 300}\n  brief: {cache_ttl_seconds: 1}\n";
        fx = new StackFixture(ConfigLoader.parse(yaml, "cache.yaml"), 0);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static final String DETERMINISTIC = "{\"model\":\"small\",\"temperature\":0,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Name three rivers.\"}]}";

    @Test
    void aRepeatIsServedFromTheCacheFreeAndMarked() throws Exception {
        String key = fx.createKey("blue", "bo").get("key");
        HttpResponse<String> first = fx.post("/v1/chat/completions", key, DETERMINISTIC);
        assertThat(first.headers().firstValue("x-tiergate-cache")).contains("miss");
        assertThat(new BigDecimal(first.headers().firstValue("x-tiergate-cost-usd").orElseThrow())).isPositive();
        List<String> misses = new java.util.ArrayList<>(List.of(first.body()));
        HttpResponse<String> again = waitForHit(key, DETERMINISTIC, misses);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("x-tiergate-cost-usd")).contains("0");
        // The cache is filled behind each miss: the hit is one of the misses' answers, byte for byte.
        assertThat(again.body()).isIn(misses);
        List<UsageRecord> records = fx.usage("blue");
        assertThat(records.getLast().outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.CACHE_HIT);
        assertThat(records.getLast().cost().isZero()).isTrue();
        BigDecimal sum = records.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
        JsonNode day = StackFixture.JSON.readTree(fx.get("/admin/budgets/team/blue", StackFixture.ADMIN_KEY).body()).at("/periods/day");
        assertThat(new BigDecimal(day.get("spent_usd").asText())).isEqualByComparingTo(sum);

        // Asked as a stream, the cached answer comes as SSE with the same text.
        HttpResponse<String> streamed = fx.post("/v1/chat/completions", key, DETERMINISTIC.replace("{\"model\"", "{\"stream\":true,\"model\""));
        assertThat(streamed.headers().firstValue("x-tiergate-cache")).contains("hit");
        String text = StackFixture.JSON.readTree(first.body()).at("/choices/0/message/content").asText();
        assertThat(streamed.body()).contains(StackFixture.JSON.writeValueAsString(text).replace("\"", "")).endsWith("data: [DONE]\n\n");
    }

    @Test
    void oneTeamNeverReceivesAnothersAnswer() throws Exception {
        String blue = fx.createKey("blue", "bea").get("key");
        String green = fx.createKey("green", "gil").get("key");
        String body = DETERMINISTIC.replace("Name three rivers.", "Name three mountains.");
        fx.post("/v1/chat/completions", blue, body);
        waitForHit(blue, body);
        HttpResponse<String> greens = fx.post("/v1/chat/completions", green, body);
        assertThat(greens.headers().firstValue("x-tiergate-cache")).contains("miss");
    }

    @Test
    void nonDeterministicRequestsAndTeamsWithoutACacheAreNotCached() throws Exception {
        String blue = fx.createKey("blue", "bim").get("key");
        HttpResponse<String> random = fx.post("/v1/chat/completions", blue, DETERMINISTIC.replace("\"temperature\":0,", ""));
        assertThat(random.headers().firstValue("x-tiergate-cache")).isEmpty();
        String red = fx.createKey("red", "rex").get("key");
        HttpResponse<String> r1 = fx.post("/v1/chat/completions", red, DETERMINISTIC);
        HttpResponse<String> r2 = fx.post("/v1/chat/completions", red, DETERMINISTIC);
        assertThat(r1.headers().firstValue("x-tiergate-cache")).isEmpty();
        assertThat(r2.headers().firstValue("x-tiergate-cache")).isEmpty();
    }

    @Test
    void whenEveryTierFailsAnExpiredCachedAnswerIsBetterThanNone() throws Exception {
        String key = fx.createKey("brief", "bri").get("key");
        String body = DETERMINISTIC.replace("Name three rivers.", "Name three lakes.");
        fx.post("/v1/chat/completions", key, body);
        // The cache is filled behind each miss, so a second miss may replace the first answer: the hit shows what is kept.
        HttpResponse<String> cached = waitForHit(key, body);
        Thread.sleep(2100); // the team keeps answers for 1 s: now it is stale
        fx.stack.fleet().replicas().get("small").forEach(r -> r.setFaults(dev.tiergate.sim.Faults.NONE.with(java.util.Map.of("error_rate", 1))));
        try {
            HttpResponse<String> r = fx.post("/v1/chat/completions", key, body);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-tiergate-fallback-from")).contains("small");
            assertThat(r.headers().firstValue("x-tiergate-cache")).contains("hit");
            assertThat(r.body()).isEqualTo(cached.body());
            assertThat(fx.usage("brief").getLast().outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.CACHE_FALLBACK);
            assertThat(fx.usage("brief").getLast().cost().isZero()).isTrue();
        } finally {
            fx.stack.fleet().replicas().get("small").forEach(r -> r.setFaults(dev.tiergate.sim.Faults.NONE));
        }
    }

    /** The cache is filled off the request path: wait for the write to land. */
    private static HttpResponse<String> waitForHit(String key, String body) throws Exception {
        return waitForHit(key, body, new java.util.ArrayList<>());
    }

    /** Repeats the request until the cache answers; {@code misses} gets the body of every miss on the way. */
    private static HttpResponse<String> waitForHit(String key, String body, List<String> misses) throws Exception {
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = fx.post("/v1/chat/completions", key, body);
            if (r.headers().firstValue("x-tiergate-cache").orElse("").equals("hit")) return r;
            misses.add(r.body());
            Thread.sleep(50);
        }
        throw new AssertionError("the answer was never served from the cache");
    }
}
