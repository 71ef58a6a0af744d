package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each fault the simulator can inject, against a stack of two replicas per tier: what the client sees, what the usage
 * record says, and that the ledger still equals the usage records.
 */
class FaultsEndToEndTest {

    static final String YAML = """
            gateway:
              request_timeout_ms: 6000
              first_byte_timeout_ms: 700
              max_attempts: 3
              backoff_base_ms: 5
              backoff_max_ms: 20
              degraded_message: "tiergate is degraded right now; please retry in a minute."
              circuit_breaker: {minimum_calls: 4, window_size: 10, open_ms: 60000}
            budgets: {cache_seconds: 0}
            routing:
              embedding: {enabled: false}
            tiers:
              - name: small
                model: f-small
                context_window: 8192
                prices_per_million: {input: 0.1, output: 1}
                fleet: {instance_type: g5.xlarge, model_id: t/s, vllm: {max_model_len: 8192}}
                simulator: {prefill_us_per_token: 0, inter_token_us: 1000, output_tokens: {min: 30, max: 30}}
                fallbacks: [medium, degraded]
              - name: medium
                model: f-medium
                context_window: 8192
                prices_per_million: {input: 0.2, output: 2}
                fleet: {instance_type: g5.xlarge, model_id: t/m, vllm: {max_model_len: 8192}}
                simulator: {prefill_us_per_token: 0, inter_token_us: 1000, output_tokens: {min: 30, max: 30}}
            """;

    static StackFixture fx;
    static String key;

    /**
     * A fresh stack per test: circuit breakers remember failures, and each test starts from a healthy fleet. Tokens
     * are paced at 1 ms so a stream's first chunks are read before a mid-way cut arrives (at time-scale 0 the cut can
     * overtake them, which is then, rightly, a failure before the first token).
     */
    @BeforeEach
    void start() throws Exception {
        fx = new StackFixture(config(), 1, 2);
        key = fx.createKey("faults", "fay").get("key");
        // A limit, so the team's day is a ledger row (held on this gateway's leases) that the faults must keep exact.
        assertThat(fx.put("/admin/budgets/team/faults", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":100}}").statusCode()).isEqualTo(200);
    }

    /** The fleet under test; the SageMaker run puts the same tiers behind endpoints. */
    TiergateConfig config() {
        return ConfigLoader.parse(YAML, "faults.yaml");
    }

    @AfterEach
    void stop() {
        if (fx != null) fx.close();
    }

    static List<SimulatedReplica> replicas(String tier) {
        return fx.stack.fleet().replicas().get(tier);
    }

    static void fault(SimulatedReplica r, Map<String, ?> f) {
        r.setFaults(Faults.NONE.with(f));
    }

    static HttpResponse<String> chat(boolean stream) throws Exception {
        // The same system prompt each time, so prefix affinity keeps sending it to the same replica first.
        return fx.post("/v1/chat/completions", key, "{\"model\":\"small\"," + (stream ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"system\",\"content\":\"Same prefix every time.\"},{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    static UsageRecord lastRecord() {
        List<UsageRecord> all = fx.usage("faults");
        return all.getLast();
    }

    static void ledgerEqualsUsage() throws Exception {
        BigDecimal sum = fx.usage("faults").stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
        JsonNode day = StackFixture.JSON.readTree(fx.get("/admin/budgets/team/faults", StackFixture.ADMIN_KEY).body()).at("/periods/day");
        assertThat(new BigDecimal(day.get("spent_usd").asText())).isEqualByComparingTo(sum);
        assertThat(new BigDecimal(day.get("reserved_usd").asText())).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(new BigDecimal(day.get("limit_usd").asText())).isEqualByComparingTo("100");
    }

    @Test
    void aDeadReplicaIsRetriedAroundAndThenLeftAlone() throws Exception {
        SimulatedReplica dead = replicas("small").get(0);
        fault(dead, Map.of("reset_rate", 1));
        long before = dead.received();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = fx.post("/v1/chat/completions", key, "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-tiergate-tier")).contains("small");
        }
        // The breaker opened after a handful of resets: most requests never touched the dead replica.
        assertThat(dead.received() - before).isLessThanOrEqualTo(6);
        ledgerEqualsUsage();
    }

    @Test
    void a503StormFallsBackToTheNextTierAndSaysSo() throws Exception {
        replicas("small").forEach(r -> fault(r, Map.of("error_rate", 1, "error_status", 503)));
        HttpResponse<String> r = chat(false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tiergate-tier")).contains("medium");
        assertThat(r.headers().firstValue("x-tiergate-fallback-from")).contains("small");
        UsageRecord rec = lastRecord();
        assertThat(rec.tier()).isEqualTo("medium");
        assertThat(rec.fallbackFrom()).isEqualTo("small");
        assertThat(rec.model()).isEqualTo("f-medium");
        ledgerEqualsUsage();
    }

    @Test
    void aHangingReplicaIsGivenUpAfterTheFirstByteTimeout() throws Exception {
        replicas("small").forEach(r -> fault(r, Map.of("hang_rate", 1)));
        fault(replicas("small").get(1), Map.of());
        HttpResponse<String> r = chat(false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tiergate-tier")).contains("small");
    }

    @Test
    void aReplicaStillLoadingIsRetriedElsewhere() throws Exception {
        fault(replicas("small").get(0), Map.of("ready_after_ms", 60_000));
        fault(replicas("small").get(1), Map.of("ready_after_ms", 60_000));
        HttpResponse<String> r = chat(false);
        // Both small replicas are loading (503): medium answers.
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tiergate-tier")).contains("medium");
    }

    @Test
    void aStreamCutBeforeItsFirstTokenFailsOverUnseen() throws Exception {
        replicas("small").forEach(r -> fault(r, Map.of("cut_stream_rate", 1, "cut_after_pieces", 0)));
        HttpResponse<String> r = chat(true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("\"error\"").endsWith("data: [DONE]\n\n");
        assertThat(r.body()).contains("\"model\":\"f-medium\"");
        UsageRecord rec = lastRecord();
        assertThat(rec.outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.OK);
        assertThat(rec.tier()).isEqualTo("medium");
        ledgerEqualsUsage();
    }

    @Test
    void aStreamCutMidWayEndsWithAnErrorEventAndChargesWhatWasProduced() throws Exception {
        replicas("small").forEach(r -> fault(r, Map.of("cut_stream_rate", 1)));
        HttpResponse<String> r = chat(true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"delta\"", "data: {\"error\":").endsWith("data: [DONE]\n\n");
        UsageRecord rec = lastRecord();
        assertThat(rec.outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.STREAM_BROKEN);
        assertThat(rec.usageSource()).isEqualTo(dev.tiergate.core.usage.UsageSource.ESTIMATED);
        assertThat(rec.tokens().completionTokens()).isBetween(1, 29);
        assertThat(rec.cost().isZero()).isFalse();
        ledgerEqualsUsage();
    }

    @Test
    void aMalformedChunkMidStreamIsAnErrorAndAMalformedAnswerFailsOver() throws Exception {
        replicas("small").forEach(r -> fault(r, Map.of("malformed_rate", 1)));
        HttpResponse<String> s = chat(true);
        assertThat(s.body()).contains("malformed stream event");
        assertThat(lastRecord().outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.STREAM_BROKEN);
        HttpResponse<String> w = chat(false);
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
        assertThat(w.headers().firstValue("x-tiergate-tier")).contains("medium");
        ledgerEqualsUsage();
    }

    @Test
    void whenEverythingFailsTheDegradedAnswerIsMarkedAndFree() throws Exception {
        fx.stack.fleet().replicas().values().forEach(l -> l.forEach(r -> fault(r, Map.of("error_rate", 1, "error_status", 500))));
        HttpResponse<String> r = chat(false);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tiergate-degraded")).contains("true");
        assertThat(r.headers().firstValue("x-tiergate-cost-usd")).contains("0");
        assertThat(StackFixture.JSON.readTree(r.body()).at("/choices/0/message/content").asText()).contains("degraded");
        UsageRecord rec = lastRecord();
        assertThat(rec.outcome()).isEqualTo(dev.tiergate.core.usage.Outcome.DEGRADED);
        assertThat(rec.cost().isZero()).isTrue();
        ledgerEqualsUsage();
    }

    @Test
    void aPromptOverTheContextIsA400WithTheCountsAndNoRetry() throws Exception {
        String longPrompt = "word ".repeat(9000);
        HttpResponse<String> r = fx.post("/v1/chat/completions", key, "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longPrompt + "\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode e = StackFixture.JSON.readTree(r.body()).get("error");
        assertThat(e.get("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(e.get("message").asText()).contains("8192");
    }

    @Test
    void maxConcurrentHoldsWhileARequestIsInFlightAndFreesAfterIt() throws Exception {
        HttpResponse<String> created = fx.post("/admin/keys", StackFixture.ADMIN_KEY,
                "{\"team\":\"faults\",\"user\":\"one\",\"rate_limits\":{\"max_concurrent\":1}}");
        String one = StackFixture.JSON.readTree(created.body()).get("key").asText();
        // Small hangs (each attempt gives up after 700 ms), so the first request stays in flight for about two seconds.
        replicas("small").forEach(r -> fault(r, Map.of("hang_rate", 1)));
        String body = "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        java.util.concurrent.CompletableFuture<HttpResponse<String>> first =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return fx.post("/v1/chat/completions", one, body);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        Thread.sleep(400);
        HttpResponse<String> second = fx.post("/v1/chat/completions", one, body);
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(StackFixture.JSON.readTree(second.body()).at("/error/message").asText()).contains("max concurrent");
        assertThat(second.headers().firstValue("retry-after")).contains("1");
        assertThat(first.get().statusCode()).isEqualTo(200); // served by the medium fallback
        // A cap of one is counted request by request, and a request counts in flight until its settlement (written
        // behind the answer) lands; a client's next request, sent the moment it reads an answer, is still served.
        replicas("small").forEach(r -> fault(r, Map.of()));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> next = fx.post("/v1/chat/completions", one, body);
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        }
    }

    @Test
    void validationRejectsTooManyChoices() throws Exception {
        HttpResponse<String> r = fx.post("/v1/chat/completions", key, "{\"model\":\"small\",\"n\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(StackFixture.JSON.readTree(r.body()).at("/error/param").asText()).isEqualTo("n");
    }
}
