package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tiergate.adapters.dynamodb.DynamoReplicaHealth;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.metrics.PrometheusText;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.fleet.ReplicaStatus;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's and finance's views of a day of traffic on the real local stack: the daily report adds up to the usage
 * records and the ledger to the cent and renders in a real headless Chromium; {@code /metrics} counts what happened;
 * the fleet monitor ejects a replica the simulator made unhealthy and restores it when it recovers.
 */
class ObservabilityEndToEndTest {

    private static StackFixture fx;
    private static final int ML_REQUESTS = 9;
    private static final int WEB_REQUESTS = 5;

    @BeforeAll
    static void trafficOfADay() throws Exception {
        TiergateConfig config = ConfigLoader.load(StackFixture.EXAMPLE_CONFIG);
        fx = new StackFixture(config, 0, 2);
        String ml = fx.createKey("ml", "ana").get("key");
        String web = fx.createKey("web", "bo").get("key");
        assertThat(fx.put("/admin/budgets/team/ml", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":0.004}}").statusCode()).isEqualTo(200);
        OpenAIClient mlClient = OpenAIOkHttpClient.builder().apiKey(ml).baseUrl(fx.url() + "/v1").maxRetries(0).build();
        OpenAIClient webClient = OpenAIOkHttpClient.builder().apiKey(web).baseUrl(fx.url() + "/v1").maxRetries(0).build();
        String[] models = {"small", "medium", "large"};
        for (int i = 0; i < ML_REQUESTS; i++) {
            try {
                mlClient.chat().completions().create(ChatCompletionCreateParams.builder().model(models[i % 3])
                        .maxCompletionTokens(64).addUserMessage("Question " + i + ": explain the trade-offs of batching in LLM serving.").build());
            } catch (com.openai.errors.OpenAIServiceException budgetSpent) {
                // the ml team's small day budget runs out part-way: rejections are part of the day too
            }
        }
        for (int i = 0; i < WEB_REQUESTS; i++) {
            try (StreamResponse<ChatCompletionChunk> s = webClient.chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("small").addUserMessage("Say hello, number " + i).build())) {
                s.stream().forEach(c -> { });
            }
        }
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static LocalDate today() {
        return LocalDate.now(ZoneOffset.UTC);
    }

    private static BigDecimal ledgerDaySpent(String team) throws Exception {
        JsonNode day = StackFixture.JSON.readTree(fx.get("/admin/budgets/team/" + team, StackFixture.ADMIN_KEY).body()).at("/periods/day");
        return new BigDecimal(day.get("spent_usd").asText());
    }

    @Test
    void dailyReportAddsUpToTheUsageRecordsAndTheLedger() throws Exception {
        HttpResponse<String> res = fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "{\"date\":\"" + today() + "\"}");
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        JsonNode out = StackFixture.JSON.readTree(res.body());
        fx.stack.gateway().awaitSettlementsWritten();
        List<UsageRecord> records = fx.stack.gateway().usage().forOrgDay("default", today());
        BigDecimal sum = records.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(sum.signum()).isPositive();
        assertThat(new BigDecimal(out.get("total_usd").asText())).isEqualByComparingTo(sum);
        assertThat(sum).isEqualByComparingTo(ledgerDaySpent("ml").add(ledgerDaySpent("web")));
        assertThat(out.get("requests").asLong()).isEqualTo(records.size());

        URI jsonUri = URI.create(out.at("/artifacts/json").asText());
        assertThat(jsonUri.getScheme()).isEqualTo("file");
        JsonNode report = StackFixture.JSON.readTree(Files.readString(Path.of(jsonUri)));
        BigDecimal byTeam = BigDecimal.ZERO;
        for (JsonNode t : report.get("by_team")) {
            byTeam = byTeam.add(new BigDecimal(t.get("cost_usd").asText()));
            BigDecimal teamSum = records.stream().filter(r -> r.team().equals(t.get("name").asText()))
                    .map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
            assertThat(new BigDecimal(t.get("cost_usd").asText())).isEqualByComparingTo(teamSum);
        }
        assertThat(byTeam).isEqualByComparingTo(sum);
        BigDecimal byTier = BigDecimal.ZERO;
        for (JsonNode t : report.get("by_tier")) byTier = byTier.add(new BigDecimal(t.get("cost_usd").asText()));
        assertThat(byTier).isEqualByComparingTo(sum);
        BigDecimal hourly = BigDecimal.ZERO;
        for (JsonNode h : report.get("hourly_usd")) hourly = hourly.add(new BigDecimal(h.asText()));
        assertThat(hourly).isEqualByComparingTo(sum);
        assertThat(report.at("/savings/top_tier").asText()).isEqualTo("large");
        assertThat(new BigDecimal(report.at("/savings/vs_top_tier_usd").asText()).signum()).as("small and medium are cheaper").isPositive();
        assertThat(new BigDecimal(report.at("/savings/reference/frontier-api/savings_usd").asText()).signum()).isPositive();
        assertThat(report.get("budgets")).anySatisfy(b -> {
            assertThat(b.get("scope").asText()).isEqualTo("team 'ml'");
            assertThat(b.get("period").asText()).isEqualTo("day");
            assertThat(new BigDecimal(b.get("spent_usd").asText())).isEqualByComparingTo(ledgerDaySpent("ml"));
        });

        String csv = Files.readString(Path.of(URI.create(out.at("/artifacts/csv").asText())));
        String total = csv.lines().filter(l -> l.contains(",total,all,")).findFirst().orElseThrow();
        assertThat(new BigDecimal(total.substring(total.lastIndexOf(',') + 1))).isEqualByComparingTo(sum);

        Path html = Path.of(URI.create(out.at("/artifacts/html").asText()));
        String dom = chromium(html, "--dump-dom");
        assertThat(dom).contains("<svg id=\"chart-hourly\"").contains("<svg id=\"chart-tier\"").contains("<svg id=\"chart-team\"");
        assertThat(dom.split("class=\"bar\"").length - 1).as("a bar per hour, tier and team")
                .isEqualTo(24 + report.get("by_tier").size() + report.get("by_team").size());
        assertThat(report.get("by_team").size()).isEqualTo(2);
        String cents = dev.tiergate.core.report.ReportRenderer.cents(new dev.tiergate.core.money.Usd(sum));
        assertThat(dom).contains(cents).contains("team 'ml'");
        Path png = Path.of("target", "daily-report.png").toAbsolutePath();
        Files.deleteIfExists(png);
        chromium(html, "--screenshot=" + png, "--window-size=1100,1800");
        assertThat(Files.size(png)).as("a rendered page, not a blank one").isGreaterThan(20_000);
    }

    @Test
    void reportRequestsAreValidatedAndAdminOnly() throws Exception {
        String user = fx.createKey("web", "cy").get("key");
        assertThat(fx.post("/admin/reports/daily", user, "{\"date\":\"" + today() + "\"}").statusCode()).isEqualTo(403);
        assertThat(fx.post("/admin/reports/daily", null, "{\"date\":\"" + today() + "\"}").statusCode()).isEqualTo(401);
        HttpResponse<String> future = fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "{\"date\":\"" + today().plusDays(2) + "\"}");
        assertThat(future.statusCode()).isEqualTo(400);
        assertThat(future.body()).contains("in the future").contains("\"param\":\"date\"");
        assertThat(fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "{\"date\":\"2026-02-30\"}").body()).contains("YYYY-MM-DD");
        assertThat(fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "{}").statusCode()).isEqualTo(400);
        assertThat(fx.post("/admin/reports/daily", StackFixture.ADMIN_KEY, "[1]").statusCode()).isEqualTo(400);
        assertThat(fx.get("/admin/reports/daily", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(405);
    }

    @Test
    void metricsPageCountsTheDayAndIsAdminOnly() throws Exception {
        HttpResponse<String> res = fx.get("/metrics", StackFixture.ADMIN_KEY);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        PrometheusText.Scrape s = PrometheusText.parse(res.body());
        double served = s.named("tiergate_requests_total").stream().filter(x -> x.labels().get("code").equals("200"))
                .mapToDouble(PrometheusText.Sample::value).sum();
        fx.stack.gateway().awaitSettlementsWritten();
        long ok = fx.stack.gateway().usage().forOrgDay("default", today()).stream().filter(r -> r.status() == 200).count();
        assertThat(served).isEqualTo(ok);
        assertThat(s.named("tiergate_budget_actions_total")).anySatisfy(x -> assertThat(x.labels()).containsEntry("action", "allow"));
        assertThat(s.named("tiergate_time_to_first_token_seconds_count")).isNotEmpty();
        // The local gateway writes settlements behind the answer; the backlog is exported, and drains to zero.
        assertThat(s.named("tiergate_settlements_pending")).hasSize(1);
        assertThat(PrometheusText.parse(fx.get("/metrics", StackFixture.ADMIN_KEY).body()).named("tiergate_settlements_pending").getFirst().value()).isZero();
        String user = fx.createKey("web", "dee").get("key");
        assertThat(fx.get("/metrics", user).statusCode()).isEqualTo(403);
        assertThat(fx.get("/metrics", null).statusCode()).isEqualTo(401);
    }

    @Test
    void fleetMonitorEjectsAnUnhealthyReplicaAndRestoresItWhenItRecovers() throws Exception {
        SimulatedReplica sick = fx.stack.fleet().replicas().get("medium").getFirst();
        URI sickUrl = sick.baseUrl();
        DynamoReplicaHealth health = new DynamoReplicaHealth(fx.stack.dynamoClient(), TableNames.withPrefix("tiergate").fleet(), Clock.systemUTC());
        sick.setFaults(Faults.NONE.with(Map.of("ready_after_ms", 60_000)));
        try {
            List<ReplicaStatus> found = fx.stack.gateway().fleetMonitor().check();
            assertThat(found).hasSize(6);
            ReplicaStatus s = found.stream().filter(r -> r.replica().equals(sickUrl)).findFirst().orElseThrow();
            assertThat(s.healthy()).isFalse();
            assertThat(s.reason()).contains("/health answered 503");
            assertThat(found.stream().filter(ReplicaStatus::healthy)).hasSize(5);
            health.refresh();
            assertThat(health.ejected(sickUrl)).as("ejected for every gateway instance").isTrue();
            String metrics = fx.get("/metrics", StackFixture.ADMIN_KEY).body();
            assertThat(PrometheusText.parse(metrics).named("tiergate_fleet_replica_up")).anySatisfy(x -> {
                assertThat(x.labels()).containsEntry("replica", sickUrl.toString());
                assertThat(x.value()).isZero();
            });
        } finally {
            sick.setFaults(Faults.NONE);
        }
        List<ReplicaStatus> again = fx.stack.gateway().fleetMonitor().check();
        assertThat(again).allMatch(ReplicaStatus::healthy);
        health.refresh();
        assertThat(health.ejected(sickUrl)).isFalse();
    }

    /** Runs Debian's Chromium headless on a local file; returns what it printed. */
    private static String chromium(Path html, String... args) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        cmd.add(html.toUri().toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }
}
