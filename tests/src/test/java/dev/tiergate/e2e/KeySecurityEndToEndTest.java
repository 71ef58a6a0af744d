package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys against DynamoDB Local through the gateway's HTTP API: a key never grants more than its creator holds, the
 * bootstrap admin key is one at a time across restarts, and revocation wins a race with rotation.
 */
class KeySecurityEndToEndTest {

    private static final String YAML = """
            organization: acme
            gateway: {key_cache_seconds: 0}
            routing:
              embedding: {enabled: false}
            tiers:
              - name: small
                model: k-small
                context_window: 8192
                prices_per_million: {input: 1, output: 2}
                fleet: {instance_type: g5.xlarge, model_id: test/small, vllm: {max_model_len: 8192}}
              - name: large
                model: k-large
                context_window: 8192
                prices_per_million: {input: 10, output: 20}
                fleet: {instance_type: g5.xlarge, model_id: test/large, vllm: {max_model_len: 8192}}
            """;
    private static final String CHAT = "{\"model\":\"small\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static TiergateConfig config() {
        return ConfigLoader.parse(YAML, "keys.yaml");
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return StackFixture.JSON.readTree(r.body());
    }

    private static JsonNode create(StackFixture fx, String as, String body, int status) throws Exception {
        HttpResponse<String> r = fx.post("/admin/keys", as, body);
        assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(status);
        return json(r);
    }

    @Test
    void aTeamAdminMintsNothingBeyondItsOwnTiersAndRateLimits() throws Exception {
        try (StackFixture fx = StackFixture.onData(config(), null, StackFixture.ADMIN_KEY)) {
            JsonNode admin = create(fx, StackFixture.ADMIN_KEY, "{\"team\":\"teamA\",\"user\":\"lead\",\"role\":\"team_admin\","
                    + "\"allowed_tiers\":[\"small\"],\"rate_limits\":{\"requests_per_minute\":2}}", 201);
            String lead = admin.get("key").asText();
            create(fx, lead, "{\"team\":\"teamA\",\"user\":\"x\",\"allowed_tiers\":[]}", 403);
            create(fx, lead, "{\"team\":\"teamA\",\"user\":\"x\",\"role\":\"team_admin\",\"allowed_tiers\":[\"large\"]}", 403);
            create(fx, lead, "{\"team\":\"teamA\",\"user\":\"x\",\"role\":\"org_admin\"}", 403);
            create(fx, lead, "{\"team\":\"teamB\",\"user\":\"x\"}", 403);
            create(fx, lead, "{\"team\":\"teamA\",\"user\":\"x\",\"rate_limits\":{\"requests_per_minute\":100}}", 403);
            JsonNode minted = create(fx, lead, "{\"team\":\"teamA\",\"user\":\"x\"}", 201);
            assertThat(minted.get("allowed_tiers")).extracting(JsonNode::asText).containsExactly("small");
            String mintedKey = minted.get("key").asText();

            // The minted key counts in its creator's 2 requests per minute: 3 requests between them, the third refused.
            List<Integer> statuses = new ArrayList<>();
            statuses.add(fx.post("/v1/chat/completions", mintedKey, CHAT).statusCode());
            statuses.add(fx.post("/v1/chat/completions", lead, CHAT).statusCode());
            HttpResponse<String> third = fx.post("/v1/chat/completions", mintedKey, CHAT);
            statuses.add(third.statusCode());
            assertThat(statuses).containsExactly(200, 200, 429);
            assertThat(json(third).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
            // The large tier stays out of its reach.
            assertThat(fx.post("/v1/chat/completions", mintedKey, CHAT.replace("small", "large")).statusCode()).isEqualTo(403);
        }
    }

    @Test
    void theBootstrapKeyIsOneAtATimeAndItsRevocationHoldsAcrossRestarts(@TempDir Path dir) throws Exception {
        String first = "tg-bootstrap-first-0123456789";
        String second = "tg-bootstrap-second-0123456789";
        try (StackFixture fx = StackFixture.onData(config(), dir, first)) {
            assertThat(fx.get("/admin/keys", first).statusCode()).isEqualTo(200);
            fx.stack.gateway().awaitBootstrapStored();
            assertThat(fx.get("/admin/keys", first).statusCode()).isEqualTo(200);
            // What an older release stored: the bootstrap key's row by the plain SHA-256 of an older secret.
            fx.stack.dynamoClient().putItem(b -> b.tableName("tiergate-keys").item(Map.of(
                    "hash", AttributeValue.fromS(dev.tiergate.core.auth.KeySecrets.hash("tg-legacy-bootstrap-0123456789")),
                    "id", AttributeValue.fromS("key_bootstrap_admin"), "org", AttributeValue.fromS("acme"),
                    "team", AttributeValue.fromS("admin"), "user", AttributeValue.fromS("bootstrap"),
                    "role", AttributeValue.fromS("org_admin"), "created_at", AttributeValue.fromS("2026-01-01T00:00:00Z"),
                    "revoked", AttributeValue.fromBool(false))));
            assertThat(fx.get("/admin/keys", "tg-legacy-bootstrap-0123456789").statusCode()).isEqualTo(401);
        }
        try (StackFixture fx = StackFixture.onData(config(), dir, second)) {
            assertThat(fx.get("/admin/keys", first).statusCode()).isEqualTo(401);
            assertThat(fx.get("/admin/keys", "tg-legacy-bootstrap-0123456789").statusCode()).isEqualTo(401);
            assertThat(fx.get("/admin/keys", second).statusCode()).isEqualTo(200);
            fx.stack.gateway().awaitBootstrapStored();
            assertThat(fx.get("/admin/keys", first).statusCode()).isEqualTo(401);
            assertThat(fx.get("/admin/keys", second).statusCode()).isEqualTo(200);
            long rows = fx.stack.dynamoClient().scan(b -> b.tableName("tiergate-keys")).items().stream()
                    .filter(i -> i.get("id").s().equals("key_bootstrap_admin")).count();
            assertThat(rows).isEqualTo(1);
            // No secret and no fast hash of it is stored: the row holds a salted slow hash.
            Map<String, AttributeValue> row = fx.stack.dynamoClient().getItem(b -> b.tableName("tiergate-keys")
                    .key(Map.of("hash", AttributeValue.fromS("bootstrap")))).item();
            assertThat(row.get("verifier").s()).startsWith("pbkdf2-sha256$600000$").doesNotContain(second)
                    .doesNotContain(dev.tiergate.core.auth.KeySecrets.hash(second));
            assertThat(fx.post("/admin/keys/key_bootstrap_admin/rotate", second, "").statusCode()).isEqualTo(400);
            HttpResponse<String> revoke = fx.http.send(java.net.http.HttpRequest.newBuilder(fx.url().resolve("/admin/keys/key_bootstrap_admin"))
                    .header("Authorization", "Bearer " + second).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(200);
            assertThat(fx.get("/admin/keys", second).statusCode()).isEqualTo(401);
        }
        try (StackFixture fx = StackFixture.onData(config(), dir, second)) {
            assertThat(fx.get("/admin/keys", second).statusCode()).isEqualTo(401);
        }
        try (StackFixture fx = StackFixture.onData(config(), dir, first)) {
            assertThat(fx.get("/admin/keys", first).statusCode()).isEqualTo(200);
            assertThat(fx.get("/admin/keys", second).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void revocationWinsEveryRaceWithRotation() throws Exception {
        try (StackFixture fx = StackFixture.onData(config(), null, StackFixture.ADMIN_KEY);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int trial = 0; trial < 15; trial++) {
                JsonNode k = create(fx, StackFixture.ADMIN_KEY, "{\"team\":\"race\",\"user\":\"u" + trial + "\"}", 201);
                String id = k.get("id").asText();
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<HttpResponse<String>> rotate = CompletableFuture.supplyAsync(() -> call(go,
                        () -> fx.post("/admin/keys/" + id + "/rotate", StackFixture.ADMIN_KEY, "")), pool);
                CompletableFuture<HttpResponse<String>> revoke = CompletableFuture.supplyAsync(() -> call(go,
                        () -> fx.http.send(java.net.http.HttpRequest.newBuilder(fx.url().resolve("/admin/keys/" + id))
                                .header("Authorization", "Bearer " + StackFixture.ADMIN_KEY).DELETE().build(),
                                HttpResponse.BodyHandlers.ofString())), pool);
                go.countDown();
                HttpResponse<String> rotated = rotate.get();
                assertThat(revoke.get().statusCode()).as(revoke.get().body()).isEqualTo(200);
                assertThat(fx.post("/v1/chat/completions", k.get("key").asText(), CHAT).statusCode()).isEqualTo(401);
                if (rotated.statusCode() == 200) {
                    assertThat(fx.post("/v1/chat/completions", json(rotated).get("key").asText(), CHAT).statusCode()).isEqualTo(401);
                } else {
                    assertThat(rotated.statusCode()).as(rotated.body()).isIn(400, 409);
                }
                JsonNode listed = json(fx.get("/admin/keys?team=race", StackFixture.ADMIN_KEY));
                for (JsonNode d : listed.get("data")) if (d.get("id").asText().equals(id)) assertThat(d.get("revoked").asBoolean()).isTrue();
            }
        }
    }

    @Test
    void theInstanceThatRevokesOrRotatesAKeyStopsHonouringItAtOnceDespiteItsKeyCache() throws Exception {
        TiergateConfig cached = ConfigLoader.parse(YAML.replace("key_cache_seconds: 0", "key_cache_seconds: 60"), "keys-cached.yaml");
        try (StackFixture fx = StackFixture.onData(cached, null, StackFixture.ADMIN_KEY)) {
            JsonNode revoked = create(fx, StackFixture.ADMIN_KEY, "{\"team\":\"cache\",\"user\":\"r\"}", 201);
            JsonNode rotated = create(fx, StackFixture.ADMIN_KEY, "{\"team\":\"cache\",\"user\":\"o\"}", 201);
            // Both looked up once, so this instance holds them in its key cache for a minute.
            assertThat(fx.post("/v1/chat/completions", revoked.get("key").asText(), CHAT).statusCode()).isEqualTo(200);
            assertThat(fx.post("/v1/chat/completions", rotated.get("key").asText(), CHAT).statusCode()).isEqualTo(200);
            HttpResponse<String> delete = fx.http.send(java.net.http.HttpRequest.newBuilder(fx.url().resolve("/admin/keys/" + revoked.get("id").asText()))
                    .header("Authorization", "Bearer " + StackFixture.ADMIN_KEY).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(delete.statusCode()).isEqualTo(200);
            HttpResponse<String> rotate = fx.post("/admin/keys/" + rotated.get("id").asText() + "/rotate", StackFixture.ADMIN_KEY, "");
            assertThat(rotate.statusCode()).isEqualTo(200);
            assertThat(fx.post("/v1/chat/completions", revoked.get("key").asText(), CHAT).statusCode()).isEqualTo(401);
            assertThat(fx.post("/v1/chat/completions", rotated.get("key").asText(), CHAT).statusCode()).isEqualTo(401);
            assertThat(fx.post("/v1/chat/completions", json(rotate).get("key").asText(), CHAT).statusCode()).isEqualTo(200);
        }
    }

    private interface Call {
        HttpResponse<String> run() throws Exception;
    }

    private static HttpResponse<String> call(CountDownLatch go, Call c) {
        try {
            go.await();
            return c.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
