package dev.tiergate.e2e;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.local.LocalDynamo;
import dev.tiergate.local.SimulatedFleet;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.sim.Faults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.io.File;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway process killed mid-request leaves a reservation behind; the sweeper of another gateway releases it after
 * its deadline, and requests are served again. Real processes: the gateway runs as a child JVM ({@code tiergate serve})
 * against DynamoDB Local and a simulated replica in this JVM.
 */
class GatewayKillTest {

    private static final String ADMIN = "tg-admin-kill-test-0123456789";
    private final HttpClient http = HttpClient.newHttpClient();

    /** The fleet as {@code serve --replicas} takes it: tier=url;tier=url. */
    private static String replicasArg(SimulatedFleet fleet) {
        return fleet.urls().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().getFirst()).collect(Collectors.joining(";"));
    }

    private Process gateway(Path config, int port, URI dynamo, String replicas, Path log) throws Exception {
        Process p = ChildTiergate.start(List.of(), List.of("serve", "--config", config.toString(), "--port", Integer.toString(port),
                "--dynamodb-endpoint", dynamo.toString(), "--replicas", replicas, "--sweep-seconds", "1",
                // Both gateways share one journal folder, as a restarted service would.
                "--journal", log.resolveSibling("settlement-journal").toString()), ADMIN, log);
        ChildTiergate.awaitHealthy(p, port, log, Duration.ofSeconds(60));
        return p;
    }

    private HttpResponse<String> send(int port, String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aKilledRequestsReservationIsReleasedAfterItsDeadline(@TempDir Path dir) throws Exception {
        // Deadline of a request: 1.5 s, plus 6 s of grace before the sweeper may release its hold. The grace must outlast
        // the second gateway's JVM start (2-3 s on a busy 2-core machine), or the hold is gone before it is observed.
        Path configFile = dir.resolve("tiergate.yaml");
        Files.writeString(configFile, BudgetConfig.yaml(1500, 6000));
        TiergateConfig config = BudgetConfig.config(1500, 6000);
        try (LocalDynamo dynamo = LocalDynamo.start(0, null);
             DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint());
             SimulatedFleet fleet = SimulatedFleet.start(config, 1, 0, 0, InetAddress.getLoopbackAddress())) {
            TableSetup.createIfMissing(ddb, TableNames.withPrefix("tiergate"));
            String replicas = replicasArg(fleet);
            fleet.replicas().get("small").getFirst().setFaults(Faults.NONE.with(Map.of("hang_rate", 1)));

            int port1 = ChildTiergate.freePort();
            Process first = gateway(configFile, port1, dynamo.endpoint(), replicas, dir.resolve("gw1.log"));
            String key;
            try {
                HttpResponse<String> created = send(port1, "POST", "/admin/keys", ADMIN, "{\"team\":\"kill\",\"user\":\"kai\"}");
                key = StackFixture.JSON.readTree(created.body()).get("key").asText();
                // The budget fits exactly one request ($0.001).
                assertThat(send(port1, "PUT", "/admin/budgets/team/kill", ADMIN, "{\"limits_usd\":{\"day\":0.001}}").statusCode()).isEqualTo(200);
                String k = key;
                CompletableFuture.runAsync(() -> {
                    try {
                        send(port1, "POST", "/v1/chat/completions", k, BudgetConfig.chat("small", 100));
                    } catch (Exception expected) {
                        // the gateway is killed under this request
                    }
                });
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (ddb.scan(b -> b.tableName("tiergate-reservations")).count() == 0 && System.nanoTime() < until) Thread.sleep(20);
                assertThat(ddb.scan(b -> b.tableName("tiergate-reservations")).count()).isEqualTo(1);
            } finally {
                first.destroyForcibly().waitFor();
            }

            fleet.replicas().get("small").getFirst().setFaults(Faults.NONE);
            int port2 = ChildTiergate.freePort();
            Process second = gateway(configFile, port2, dynamo.endpoint(), replicas, dir.resolve("gw2.log"));
            try {
                // Until the dead request's deadline passes, its hold keeps the budget full.
                HttpResponse<String> early = send(port2, "POST", "/v1/chat/completions", key, BudgetConfig.chat("small", 100));
                assertThat(early.statusCode()).as(early.body()).isEqualTo(429);
                HttpResponse<String> served = early;
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (served.statusCode() != 200 && System.nanoTime() < until) {
                    Thread.sleep(250);
                    served = send(port2, "POST", "/v1/chat/completions", key, BudgetConfig.chat("small", 100));
                }
                assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
                // serve settles behind the answer; reading the budget through the API waits for that settlement.
                String budget = send(port2, "GET", "/admin/budgets/team/kill", ADMIN, "").body();
                assertThat(ddb.scan(b -> b.tableName("tiergate-reservations")).count()).isZero();
                assertThat(new BigDecimal(StackFixture.JSON.readTree(budget).at("/periods/day/spent_usd").asText())).isEqualByComparingTo("0.001");
                assertThat(new BigDecimal(StackFixture.JSON.readTree(budget).at("/periods/day/reserved_usd").asText())).isEqualByComparingTo("0");
                assertThat(Files.readString(dir.resolve("gw2.log"))).contains("released the reservation of request");
            } finally {
                second.destroyForcibly().waitFor();
            }
        }
    }


    @Test
    void aStreamCutByAKilledGatewayIsChargedForWhatItJournaled(@TempDir Path dir) throws Exception {
        // A 100-token stream at 20 ms a token takes ~2 s; its tokens so far are journaled every 0.5 s. Deadline 8 s + 1 s
        // (a stream's own deadline, stream_timeout_ms, is what its hold lasts).
        String yaml = BudgetConfig.yaml(8000, 8000, 1000).replace("key_cache_seconds: 0}", "key_cache_seconds: 0, stream_journal_ms: 500}")
                .replaceFirst("simulator: \\{output_tokens", "simulator: {inter_token_us: 20000, output_tokens");
        Path configFile = dir.resolve("tiergate.yaml");
        Files.writeString(configFile, yaml);
        TiergateConfig config = dev.tiergate.core.config.ConfigLoader.parse(yaml, "kill-stream.yaml");
        try (LocalDynamo dynamo = LocalDynamo.start(0, null);
             DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint());
             SimulatedFleet fleet = SimulatedFleet.start(config, 1, 0, 1.0, InetAddress.getLoopbackAddress())) {
            TableSetup.createIfMissing(ddb, TableNames.withPrefix("tiergate"));
            String replicas = replicasArg(fleet);
            int port1 = ChildTiergate.freePort();
            Process first = gateway(configFile, port1, dynamo.endpoint(), replicas, dir.resolve("gw1.log"));
            String key;
            try {
                HttpResponse<String> created = send(port1, "POST", "/admin/keys", ADMIN, "{\"team\":\"cut\",\"user\":\"cy\"}");
                key = StackFixture.JSON.readTree(created.body()).get("key").asText();
                assertThat(send(port1, "PUT", "/admin/budgets/team/cut", ADMIN, "{\"limits_usd\":{\"day\":1}}").statusCode()).isEqualTo(200);
                String body = "{\"model\":\"small\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}";
                HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port1 + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
                assertThat(stream.statusCode()).isEqualTo(200);
                assertThat(stream.body().read(new byte[64])).isPositive(); // tokens are reaching the client
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (System.nanoTime() < until && ddb.scan(b -> b.tableName("tiergate-reservations")).items().stream()
                        .noneMatch(i -> i.containsKey("journaled"))) Thread.sleep(20);
                // The stream is held on the gateway's lease of the team's day (registered beside it) and journaled.
                assertThat(ddb.scan(b -> b.tableName("tiergate-reservations")).items()).filteredOn(i -> !i.containsKey("lease_owner"))
                        .singleElement().satisfies(i -> assertThat(i).containsKey("journaled"));
            } finally {
                first.destroyForcibly().waitFor();
            }

            int port2 = ChildTiergate.freePort();
            Process second = gateway(configFile, port2, dynamo.endpoint(), replicas, dir.resolve("gw2.log"));
            try {
                // The journal is charged after the request's deadline, the dead gateway's lease reclaimed after its own.
                long until = System.nanoTime() + Duration.ofSeconds(45).toNanos();
                while (ddb.scan(b -> b.tableName("tiergate-reservations")).count() > 0 && System.nanoTime() < until) Thread.sleep(200);
                assertThat(ddb.scan(b -> b.tableName("tiergate-reservations")).count()).isZero();
                var records = ddb.scan(b -> b.tableName("tiergate-usage")).items();
                assertThat(records).singleElement().satisfies(r -> {
                    assertThat(r.get("outcome").s()).isEqualTo("interrupted");
                    assertThat(Long.parseLong(r.get("completion_tokens").n())).isPositive();
                });
                BigDecimal charged = new BigDecimal(records.getFirst().get("cost_usd").n());
                assertThat(charged).isPositive();
                JsonNode day = StackFixture.JSON.readTree(send(port2, "GET", "/admin/budgets/team/cut", ADMIN, "").body()).at("/periods/day");
                assertThat(new BigDecimal(day.get("spent_usd").asText())).isEqualByComparingTo(charged);
                assertThat(new BigDecimal(day.get("reserved_usd").asText())).isEqualByComparingTo("0");
                assertThat(new BigDecimal(day.get("leased_usd").asText())).isEqualByComparingTo("0");
                assertThat(Files.readString(dir.resolve("gw2.log"))).contains("charged the journaled", "reclaimed the expired budget lease");
            } finally {
                second.destroyForcibly().waitFor();
            }
        }
    }
}
