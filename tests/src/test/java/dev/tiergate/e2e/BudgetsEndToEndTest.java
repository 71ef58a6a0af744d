package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hard budgets under load, against DynamoDB Local: never exceeded, no phantom refusals, ledger equal to the usage
 * records to the last digit, no reservation left behind.
 */
class BudgetsEndToEndTest {

    private static StackFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(BudgetConfig.config(), 0);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return StackFixture.JSON.readTree(r.body());
    }

    private static BigDecimal sum(List<UsageRecord> records) {
        return records.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Requests' reservations still held (the running gateway's lease registrations live in the same table). */
    private static long reservationsLeft() {
        fx.stack.gateway().awaitSettlementsWritten(); // settled behind the answer
        return fx.stack.dynamoClient().scan(b -> b.tableName("tiergate-reservations")).items().stream()
                .filter(i -> !i.containsKey("lease_owner")).count();
    }

    @Test
    void twoHundredConcurrentRequestsNeverPassTheLimitAndServeWhatFits() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) keys.add(fx.createKey("load", "u" + i).get("key"));
        // Each request costs exactly 100 tokens × $10 per million = $0.001, so $0.05 fits 50 of them.
        assertThat(fx.put("/admin/budgets/team/load", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":0.05}}").statusCode()).isEqualTo(200);

        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                String key = keys.get(i % 20);
                results.add(pool.submit(() -> {
                    go.await();
                    return fx.post("/v1/chat/completions", key, BudgetConfig.chat("small", 100));
                }));
            }
            go.countDown();
            int served = 0;
            int refused = 0;
            for (Future<HttpResponse<String>> f : results) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    served++;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    JsonNode e = json(r).get("error");
                    assertThat(e.get("code").asText()).isEqualTo("budget_exceeded");
                    assertThat(e.get("message").asText()).contains("scope=team", "id=load", "period=day", "resets_at=");
                    refused++;
                }
            }
            assertThat(served + refused).isEqualTo(200);
            // No phantom refusals: every request that fitted was served (each costs exactly what it reserves).
            assertThat(served).isBetween(49, 50);

            List<UsageRecord> records = fx.usage("load");
            assertThat(records).hasSize(served);
            BigDecimal spent = sum(records);
            assertThat(spent).isLessThanOrEqualTo(new BigDecimal("0.05"));

            JsonNode budget = json(fx.get("/admin/budgets/team/load", StackFixture.ADMIN_KEY));
            JsonNode day = budget.at("/periods/day");
            assertThat(new BigDecimal(day.get("spent_usd").asText())).isEqualByComparingTo(spent);
            assertThat(new BigDecimal(day.get("reserved_usd").asText())).isEqualByComparingTo(BigDecimal.ZERO);
            // What the gateway still leases of the day (room, not spend) fits the limit with what was spent.
            assertThat(new BigDecimal(day.get("spent_usd").asText()).add(new BigDecimal(day.get("leased_usd").asText())))
                    .isLessThanOrEqualTo(new BigDecimal("0.05"));
            assertThat(new BigDecimal(day.get("limit_usd").asText())).isEqualByComparingTo("0.05");
            LocalDate berlinToday = LocalDate.now(ZoneId.of("Europe/Berlin"));
            assertThat(Instant.parse(day.get("resets_at").asText())).isEqualTo(berlinToday.plusDays(1).atStartOfDay(ZoneId.of("Europe/Berlin")).toInstant());

            JsonNode report = json(fx.get("/admin/usage?scope=team&id=load&from=" + Instant.now().minusSeconds(3600) + "&group_by=user", StackFixture.ADMIN_KEY));
            assertThat(new BigDecimal(report.get("total_usd").asText())).isEqualByComparingTo(spent);
            assertThat(report.get("requests").asInt()).isEqualTo(served);
            BigDecimal groups = BigDecimal.ZERO;
            for (JsonNode g : report.get("groups")) groups = groups.add(new BigDecimal(g.get("total_usd").asText()));
            assertThat(groups).isEqualByComparingTo(spent);
            assertThat(reservationsLeft()).isZero();
        }
    }

    @Test
    void downgradeSendsToTheMostCapableCheaperTierThatStillFits() throws Exception {
        String key = fx.createKey("dg", "dee").get("key");
        fx.put("/admin/budgets/team/dg", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":0.005},\"action\":\"downgrade\"}");
        HttpResponse<String> first = fx.post("/v1/chat/completions", key, BudgetConfig.chat("large", 100)); // $0.004
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-tiergate-tier")).contains("large");
        HttpResponse<String> second = fx.post("/v1/chat/completions", key, BudgetConfig.chat("large", 100)); // large no longer fits
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-tiergate-tier")).contains("small");
        assertThat(second.headers().firstValue("x-tiergate-downgraded-from")).contains("large");
        HttpResponse<String> third = fx.post("/v1/chat/completions", key, BudgetConfig.chat("large", 100)); // nothing fits
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(json(third).at("/error/message").asText()).contains("even on the cheapest tier");
        assertThat(sum(fx.usage("dg"))).isEqualByComparingTo("0.005");
    }

    @Test
    void perRequestLimitRejectsWithAClearMessageAndKeyBudgetsApply() throws Exception {
        Map<String, String> k = fx.createKey("req", "rae");
        fx.put("/admin/budgets/key/" + k.get("id"), StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"request\":0.0005}}");
        HttpResponse<String> r = fx.post("/v1/chat/completions", k.get("key"), BudgetConfig.chat("small", 100));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/code").asText()).isEqualTo("request_budget_exceeded");
        assertThat(json(r).at("/error/message").asText()).contains("per-request limit of $0.0005", "Lower max_tokens");
        assertThat(fx.post("/v1/chat/completions", k.get("key"), BudgetConfig.chat("small", 40)).statusCode()).isEqualTo(200);
        assertThat(fx.usage("req")).hasSize(1);
    }

    @Test
    void anIdempotentRetryReturnsTheFirstAnswerAndCostsNothingMore() throws Exception {
        String key = fx.createKey("idem", "ida").get("key");
        HttpRequest.Builder b = HttpRequest.newBuilder(fx.url().resolve("/v1/chat/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("Idempotency-Key", "order-42")
                .POST(HttpRequest.BodyPublishers.ofString(BudgetConfig.chat("small", 50)));
        HttpResponse<String> first = fx.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> retry = fx.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("x-tiergate-idempotent-replay")).contains("true");
        assertThat(fx.usage("idem")).hasSize(1);
        HttpResponse<String> other = fx.http.send(HttpRequest.newBuilder(fx.url().resolve("/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json").header("Idempotency-Key", "order-42")
                .POST(HttpRequest.BodyPublishers.ofString(BudgetConfig.chat("small", 51))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(json(other).at("/error/code").asText()).isEqualTo("idempotency_key_reused");

        HttpRequest stream = HttpRequest.newBuilder(fx.url().resolve("/v1/chat/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("Idempotency-Key", "stream-7")
                .POST(HttpRequest.BodyPublishers.ofString(BudgetConfig.chat("small", 30).replace("{\"model\"", "{\"stream\":true,\"model\""))).build();
        String s1 = fx.http.send(stream, HttpResponse.BodyHandlers.ofString()).body();
        HttpResponse<String> s2 = fx.http.send(stream, HttpResponse.BodyHandlers.ofString());
        assertThat(s2.body()).isEqualTo(s1).endsWith("data: [DONE]\n\n");
        assertThat(s2.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        assertThat(fx.usage("idem")).hasSize(2);
    }

    @Test
    void requestsPerMinuteHoldAndRefusalsSayWhenToRetry() throws Exception {
        for (int round = 0; round < 3; round++) {
            String minute = java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC).format(Instant.now());
            HttpResponse<String> created = fx.post("/admin/keys", StackFixture.ADMIN_KEY,
                    "{\"team\":\"rate\",\"user\":\"r" + round + "\",\"rate_limits\":{\"requests_per_minute\":3}}");
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(json(created).at("/rate_limits/requests_per_minute").asInt()).isEqualTo(3);
            String key = json(created).get("key").asText();
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) answers.add(fx.post("/v1/chat/completions", key, BudgetConfig.chat("small", 10)));
            String after = java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC).format(Instant.now());
            if (!after.equals(minute)) continue; // a minute boundary fell inside the run: the count restarted; try again
            assertThat(answers.stream().map(HttpResponse::statusCode).toList()).containsExactly(200, 200, 200, 429, 429);
            HttpResponse<String> refused = answers.get(3);
            assertThat(json(refused).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(Integer.parseInt(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1, 60);
            return;
        }
        throw new AssertionError("three runs in a row crossed a minute boundary");
    }

    @Test
    void badRateLimitsAreRefusedWithTheField() throws Exception {
        HttpResponse<String> r = fx.post("/admin/keys", StackFixture.ADMIN_KEY, "{\"team\":\"x\",\"user\":\"y\",\"rate_limits\":{\"requests_per_minute\":0}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("rate_limits.requests_per_minute");
    }

    /** Sends one request line as raw bytes and returns the whole raw answer. */
    private static String raw(String requestLine, String key) throws Exception {
        try (java.net.Socket s = new java.net.Socket(fx.url().getHost(), fx.url().getPort())) {
            s.setSoTimeout(5000);
            String req = requestLine + "\r\nHost: localhost\r\nAuthorization: Bearer " + key + "\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aTeamAdminMayTightenItsTeamsBudgetButNotLoosenIt() throws Exception {
        String ta = fx.createKey("green", "gil", "team_admin").get("key");
        assertThat(fx.put("/admin/budgets/team/green", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":1,\"month\":20}}").statusCode()).isEqualTo(200);
        HttpResponse<String> raise = fx.put("/admin/budgets/team/green", ta, "{\"limits_usd\":{\"day\":5,\"month\":20}}");
        assertThat(raise.statusCode()).isEqualTo(403);
        assertThat(raise.body()).contains("limits_usd.day", "only an organisation admin");
        HttpResponse<String> remove = fx.put("/admin/budgets/team/green", ta, "{\"limits_usd\":{\"day\":1}}");
        assertThat(remove.statusCode()).isEqualTo(403);
        assertThat(remove.body()).contains("month");
        // Unchanged after both refusals.
        assertThat(new BigDecimal(json(fx.get("/admin/budgets/team/green", ta)).at("/periods/day/limit_usd").asText())).isEqualByComparingTo("1");
        assertThat(fx.put("/admin/budgets/team/green", ta, "{\"limits_usd\":{\"day\":0.5,\"month\":20,\"hour\":0.2}}").statusCode()).isEqualTo(200);
        assertThat(fx.put("/admin/budgets/team/green", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":3,\"month\":20}}").statusCode()).isEqualTo(200);
    }

    @Test
    void rolesConfineWhatEachKeySeesAndEveryAdminActionIsAudited() throws Exception {
        Map<String, String> teamAdmin = fx.createKey("red", "rita", "team_admin");
        Map<String, String> redUser = fx.createKey("red", "rob");
        Map<String, String> blueUser = fx.createKey("blue", "bea");
        String ta = teamAdmin.get("key");
        assertThat(fx.put("/admin/budgets/team/red", ta, "{\"limits_usd\":{\"month\":100}}").statusCode()).isEqualTo(200);
        assertThat(fx.put("/admin/budgets/team/blue", ta, "{\"limits_usd\":{\"month\":100}}").statusCode()).isEqualTo(403);
        assertThat(fx.put("/admin/budgets/org/acme", ta, "{\"limits_usd\":{\"month\":100}}").statusCode()).isEqualTo(403);
        assertThat(fx.get("/admin/usage?scope=team&id=blue", ta).statusCode()).isEqualTo(403);
        assertThat(fx.get("/admin/usage?scope=team&id=red", ta).statusCode()).isEqualTo(200);
        assertThat(fx.get("/admin/keys?team=blue", ta).statusCode()).isEqualTo(403);
        assertThat(json(fx.get("/admin/keys", ta)).get("data").findValuesAsText("team")).containsOnly("red");
        // Another team's key does not even exist for a team admin.
        assertThat(fx.http.send(HttpRequest.newBuilder(fx.url().resolve("/admin/keys/" + blueUser.get("id"))).DELETE()
                .header("Authorization", "Bearer " + ta).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        // A plain key reads only its own usage.
        assertThat(fx.get("/admin/usage", redUser.get("key")).statusCode()).isEqualTo(200);
        assertThat(fx.get("/admin/usage?scope=team&id=red", redUser.get("key")).statusCode()).isEqualTo(403);
        assertThat(fx.get("/admin/budgets/team/red", redUser.get("key")).statusCode()).isEqualTo(403);

        // Bad input names the field; unknown ids are 404.
        HttpResponse<String> bad = fx.put("/admin/budgets/team/red", ta, "{\"limits_usd\":{\"week\":5}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).at("/error/param").asText()).isEqualTo("limits_usd.week");
        assertThat(fx.put("/admin/budgets/galaxy/red", StackFixture.ADMIN_KEY, "{\"limits_usd\":{}}").statusCode()).isEqualTo(400);
        assertThat(fx.get("/admin/budgets/key/key_0000000000000000", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(404);
        assertThat(fx.get("/admin/budgets/key/key_nope", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(400); // not a key id
        assertThat(fx.get("/admin/usage?scope=team&id=red&from=yesterday", ta).statusCode()).isEqualTo(400);
        // Malformed percent-encoding is bad input too, sent as raw bytes (Java's URI refuses to build it): a 400 in the
        // OpenAI shape through the local server and through the gateway API (what API Gateway hands the functions).
        assertThat(raw("GET /admin/budgets/team/%zz HTTP/1.1", ta)).startsWith("HTTP/1.1 400");
        assertThat(raw("GET /admin/usage?scope=team&id=red&from=%zz HTTP/1.1", ta)).startsWith("HTTP/1.1 400");
        dev.tiergate.core.gateway.ApiResponse viaApi = fx.stack.gateway().api().handle(new dev.tiergate.core.gateway.ApiRequest(
                "GET", "/admin/budgets/team/%zz", Map.of(), Map.of("Authorization", "Bearer " + ta), new byte[0]));
        assertThat(viaApi.status()).isEqualTo(400);
        assertThat(new String(((dev.tiergate.core.gateway.ApiResponse.Whole) viaApi).body(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("invalid_request_error", "percent-encoding");

        // Revocation takes effect on the next request; rotation swaps the secret.
        HttpResponse<String> rotated = fx.post("/admin/keys/" + redUser.get("id") + "/rotate", ta, "");
        assertThat(rotated.statusCode()).isEqualTo(200);
        String newSecret = json(rotated).get("key").asText();
        assertThat(fx.get("/v1/models", redUser.get("key")).statusCode()).isEqualTo(401);
        assertThat(fx.get("/v1/models", newSecret).statusCode()).isEqualTo(200);
        assertThat(fx.http.send(HttpRequest.newBuilder(fx.url().resolve("/admin/keys/" + redUser.get("id"))).DELETE()
                .header("Authorization", "Bearer " + ta).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(fx.get("/v1/models", newSecret).statusCode()).isEqualTo(401);

        List<Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue>> audit =
                fx.stack.dynamoClient().scan(b -> b.tableName("tiergate-audit")).items();
        assertThat(audit.stream().map(i -> i.get("action").s()).toList()).contains("key.create", "budget.put", "key.rotate", "key.revoke");
        assertThat(audit.stream().filter(i -> i.get("action").s().equals("budget.put"))
                .anyMatch(i -> i.get("actor_key_id").s().equals(teamAdmin.get("id")) && i.get("after").s().contains("\"month\""))).isTrue();
        assertThat(audit.toString()).doesNotContain(ta).doesNotContain(newSecret);
    }
}
