package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.adapters.dynamodb.DynamoUsageLog;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.local.LocalDynamo;
import dev.tiergate.local.SimulatedFleet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget race as it runs in production: three gateway processes ({@code tiergate serve}, each holding requests on
 * its own leases) share DynamoDB Local over HTTP, and 200 requests race for a team day budget that fits 50. The row is
 * read directly from the ledger table, so what is asserted is what DynamoDB holds.
 */
class BudgetLeaseRaceTest {

    private static final String ADMIN = "tg-admin-lease-race-0123456789";
    /** Requests cost exactly $0.001 (100 tokens at $10 per million); holds live 5 s + 1 s of grace, so leases 18 s. */
    private static final String YAML = BudgetConfig.yaml(5000, 5000, 1000);

    private final HttpClient http = HttpClient.newHttpClient();

    private record Stack(LocalDynamo dynamo, DynamoDbClient ddb, SimulatedFleet fleet, Path config) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            fleet.close();
            ddb.close();
            dynamo.close();
        }
    }

    private Stack stack(Path dir, double timeScale) throws Exception {
        return stack(dir, timeScale, YAML);
    }

    private Stack stack(Path dir, double timeScale, String yaml) throws Exception {
        Path configFile = dir.resolve("tiergate.yaml");
        Files.writeString(configFile, yaml);
        TiergateConfig config = ConfigLoader.parse(yaml, "race.yaml");
        LocalDynamo dynamo = LocalDynamo.start(0, null);
        DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint());
        TableSetup.createIfMissing(ddb, TableNames.withPrefix("tiergate"));
        return new Stack(dynamo, ddb, SimulatedFleet.start(config, 1, 0, timeScale, InetAddress.getLoopbackAddress()), configFile);
    }

    private Process gateway(Stack s, int port, Path dir, String name) throws Exception {
        String replicas = s.fleet().urls().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().getFirst()).collect(Collectors.joining(";"));
        Path log = dir.resolve(name + ".log");
        Process p = ChildTiergate.start(List.of(), List.of("serve", "--config", s.config().toString(), "--port", Integer.toString(port),
                "--dynamodb-endpoint", s.dynamo().endpoint().toString(), "--replicas", replicas, "--sweep-seconds", "1",
                "--journal", dir.resolve(name + "-journal").toString()), ADMIN, log);
        ChildTiergate.awaitHealthy(p, port, log, Duration.ofSeconds(90));
        return p;
    }

    private HttpResponse<String> send(int port, String method, String path, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The team's day row in the ledger table: spent, reserved, leased, committed. */
    private static Map<String, BigDecimal> row(DynamoDbClient ddb) {
        String day = "day#" + LocalDate.now(ZoneId.of("Europe/Berlin"));
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName("tiergate-ledger").consistentRead(true)
                .key(Map.of("owner", AttributeValue.fromS("team#race"), "period", AttributeValue.fromS(day)))).item();
        Map<String, BigDecimal> out = new java.util.HashMap<>();
        for (String f : List.of("spent", "reserved", "leased", "committed")) {
            AttributeValue v = item == null ? null : item.get(f);
            out.put(f, v == null ? BigDecimal.ZERO : new BigDecimal(v.n()));
        }
        return out;
    }

    private static BigDecimal usageTotal(DynamoDbClient ddb, List<UsageRecord> into) {
        DynamoUsageLog log = new DynamoUsageLog(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), "tiergate-usage");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        into.addAll(log.forTeamDay("race", today.minusDays(1)));
        into.addAll(log.forTeamDay("race", today));
        into.removeIf(r -> r.cost().isZero());
        return into.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Sends 200 requests from 20 keys over the ports at once; returns how many were served, the rest must be budget refusals. */
    private int race(List<Integer> ports, List<String> keys, Runnable midway) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                int port = ports.get(i % ports.size());
                String key = keys.get(i % keys.size());
                results.add(pool.submit(() -> {
                    go.await();
                    try {
                        return send(port, "POST", "/v1/chat/completions", key, BudgetConfig.chat("small", 100));
                    } catch (java.io.IOException killed) {
                        return null; // its gateway was killed under it
                    } finally {
                        if (done.incrementAndGet() == 60) midway.run();
                    }
                }));
            }
            go.countDown();
            int served = 0;
            for (Future<HttpResponse<String>> f : results) {
                HttpResponse<String> r = f.get();
                if (r == null) continue;
                if (r.statusCode() == 200) {
                    served++;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    JsonNode e = StackFixture.JSON.readTree(r.body()).get("error");
                    assertThat(e.get("code").asText()).isEqualTo("budget_exceeded");
                }
            }
            return served;
        }
    }

    /** Keys of team race, whose day budget is {@code dayUsd}; each gateway first answers a few requests of another team. */
    private List<String> keys(List<Integer> ports, String dayUsd) throws Exception {
        int port = ports.getFirst();
        HttpResponse<String> warm = send(port, "POST", "/admin/keys", ADMIN, "{\"team\":\"warm\",\"user\":\"w\"}");
        String warmKey = StackFixture.JSON.readTree(warm.body()).get("key").asText();
        for (int p : ports) {
            for (int i = 0; i < 20; i++) assertThat(send(p, "POST", "/v1/chat/completions", warmKey, BudgetConfig.chat("small", 10)).statusCode()).isEqualTo(200);
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> created = send(port, "POST", "/admin/keys", ADMIN, "{\"team\":\"race\",\"user\":\"u" + i + "\"}");
            keys.add(StackFixture.JSON.readTree(created.body()).get("key").asText());
        }
        assertThat(send(port, "PUT", "/admin/budgets/team/race", ADMIN, "{\"limits_usd\":{\"day\":" + dayUsd + "}}").statusCode()).isEqualTo(200);
        return keys;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: settlements written, leases returned
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    @Test
    void threeGatewaysOnLeasesNeverOverspendServeWhatFitsAndTheRowEqualsTheUsageRecords(@TempDir Path dir) throws Exception {
        try (Stack s = stack(dir, 0)) {
            List<Integer> ports = List.of(ChildTiergate.freePort(), ChildTiergate.freePort(), ChildTiergate.freePort());
            List<Process> gateways = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) gateways.add(gateway(s, ports.get(i), dir, "gw" + i));
                List<String> keys = keys(ports, "0.05");
                int served = race(ports, keys, () -> { });

                assertThat(served).isLessThanOrEqualTo(50).isGreaterThanOrEqualTo(45);
                // While the gateways run, DynamoDB's own invariant holds.
                Map<String, BigDecimal> live = row(s.ddb());
                assertThat(live.get("committed")).isLessThanOrEqualTo(new BigDecimal("0.05"));
            } finally {
                for (Process p : gateways) stop(p);
            }
            List<UsageRecord> records = new ArrayList<>();
            BigDecimal usage = usageTotal(s.ddb(), records);
            Map<String, BigDecimal> after = row(s.ddb());
            assertThat(usage).isLessThanOrEqualTo(new BigDecimal("0.05"));
            assertThat(after.get("spent")).isEqualByComparingTo(usage);
            assertThat(after.get("leased")).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(after.get("reserved")).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(after.get("committed")).isEqualByComparingTo(usage);
            assertThat(records).hasSizeGreaterThanOrEqualTo(45);
            assertThat(s.ddb().scan(b -> b.tableName("tiergate-reservations")).count()).isZero();
        }
    }

    @Test
    void aGatewayKilledMidRaceCannotCauseOverspendAndItsLeasesComeBackAfterTheirDeadline(@TempDir Path dir) throws Exception {
        // Answers take ~100 ms, so the kill lands with requests in flight on the victim.
        try (Stack s = stack(dir, 0.05)) {
            List<Integer> ports = List.of(ChildTiergate.freePort(), ChildTiergate.freePort(), ChildTiergate.freePort());
            List<Process> gateways = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) gateways.add(gateway(s, ports.get(i), dir, "gw" + i));
                // Room for 150 of the 200: the victim dies holding a lease, not after the budget ran out.
                List<String> keys = keys(ports, "0.15");
                Process victim = gateways.get(2);
                int served = race(ports, keys, () -> victim.destroyForcibly());
                victim.waitFor();
                assertThat(served).isLessThanOrEqualTo(150);

                // The dead gateway's lease is still counted (its room out of use) until the deadline, then swept back.
                long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                Map<String, BigDecimal> row = row(s.ddb());
                while (System.nanoTime() < until) {
                    row = row(s.ddb());
                    if (row.get("leased").signum() == 0 || Files.readString(dir.resolve("gw0.log")).contains("reclaimed the expired budget lease")
                            || Files.readString(dir.resolve("gw1.log")).contains("reclaimed the expired budget lease")) break;
                    Thread.sleep(250);
                }
                assertThat(row.get("committed")).isLessThanOrEqualTo(new BigDecimal("0.15"));
                // A lease the victim held when killed keeps `leased` above zero until a survivor's sweeper reclaims it,
                // which it logs. `leased` at zero with no reclaim means the victim held none by then (near the limit the
                // last cents go request by request); either way nothing of it may still be counted.
                boolean reclaimed = (Files.readString(dir.resolve("gw0.log")) + Files.readString(dir.resolve("gw1.log")))
                        .contains("reclaimed the expired budget lease");
                assertThat(reclaimed || row.get("leased").signum() == 0)
                        .as("the dead gateway's lease is reclaimed by its deadline; leased now " + row.get("leased")).isTrue();
            } finally {
                for (Process p : gateways) if (p.isAlive()) stop(p);
            }
            List<UsageRecord> records = new ArrayList<>();
            BigDecimal usage = usageTotal(s.ddb(), records);
            Map<String, BigDecimal> after = row(s.ddb());
            // Never overspent; what the dead gateway had settled but not written is neither in the row nor in the records.
            assertThat(usage).isLessThanOrEqualTo(new BigDecimal("0.15"));
            assertThat(after.get("spent")).isEqualByComparingTo(usage);
            assertThat(after.get("leased")).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(after.get("committed")).isEqualByComparingTo(usage);
        }
    }

    @Test
    void aTeamsRequestsPerMinuteHoldAcrossThreeGatewaysOnTheirMinuteAllowances(@TempDir Path dir) throws Exception {
        String yaml = YAML + "teams:\n  race:\n    rate_limits: {requests_per_minute: 60}\n";
        try (Stack s = stack(dir, 0, yaml)) {
            List<Integer> ports = List.of(ChildTiergate.freePort(), ChildTiergate.freePort(), ChildTiergate.freePort());
            List<Process> gateways = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) gateways.add(gateway(s, ports.get(i), dir, "gw" + i));
                List<String> keys = keys(ports, "100");
                // The race fits in one calendar minute (UTC), the limit's window.
                if (java.time.LocalTime.now(ZoneOffset.UTC).getSecond() > 45) Thread.sleep((61 - java.time.LocalTime.now(ZoneOffset.UTC).getSecond()) * 1000L);
                int served = throttledBurst(ports, keys, 150, 10);
                // Never past the limit; what the instances took as allowances and did not use lapses with the minute.
                assertThat(served).isLessThanOrEqualTo(60).isGreaterThanOrEqualTo(54);
            } finally {
                for (Process p : gateways) stop(p);
            }
        }
    }

    /**
     * Sends {@code n} requests at once over the ports and keys; returns how many were served, every other answer being
     * a 429 {@code rate_limit_exceeded}.
     */
    private int throttledBurst(List<Integer> ports, List<String> keys, int n, int maxTokens) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int port = ports.get(i % ports.size());
                String key = keys.get(i % keys.size());
                results.add(pool.submit(() -> {
                    go.await();
                    return send(port, "POST", "/v1/chat/completions", key, BudgetConfig.chat("small", maxTokens));
                }));
            }
            go.countDown();
            int served = 0;
            for (Future<HttpResponse<String>> f : results) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    served++;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    assertThat(StackFixture.JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
                }
            }
            return served;
        }
    }

    /** The team's in-flight row, as DynamoDB holds it. */
    private static Map<String, AttributeValue> inFlightRow(DynamoDbClient ddb) {
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName("tiergate-ledger").consistentRead(true)
                .key(Map.of("owner", AttributeValue.fromS("rate#team#race"), "period", AttributeValue.fromS("inflight")))).item();
        return item == null ? Map.of() : item;
    }

    private static long number(Map<String, AttributeValue> item, String name) {
        return item.containsKey(name) ? new BigDecimal(item.get(name).n()).longValueExact() : 0;
    }

    @Test
    void aTeamsInFlightCapHoldsAcrossThreeGatewaysOnLeasedSlotsAndWhenCountedOneByOne(@TempDir Path dir) throws Exception {
        int cap = 24;
        String yaml = YAML + "teams:\n  race:\n    rate_limits: {max_concurrent: " + cap + "}\n";
        // Answers take about 200 ms, so a burst finds the cap full.
        try (Stack s = stack(dir, 0.1, yaml)) {
            List<Integer> ports = List.of(ChildTiergate.freePort(), ChildTiergate.freePort(), ChildTiergate.freePort());
            List<Process> gateways = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) gateways.add(gateway(s, ports.get(i), dir, "gw" + i));
                List<String> keys = keys(ports, "100");
                // Well under the cap (six clients, two per gateway, one request at a time): every request is served,
                // on slots the gateways lease.
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<Integer>> clients = new ArrayList<>();
                    for (int c = 0; c < 6; c++) {
                        int port = ports.get(c % 3);
                        String key = keys.get(c);
                        clients.add(pool.submit(() -> {
                            int ok = 0;
                            for (int i = 0; i < 15; i++) {
                                if (send(port, "POST", "/v1/chat/completions", key, BudgetConfig.chat("small", 100)).statusCode() == 200) ok++;
                            }
                            return ok;
                        }));
                    }
                    for (Future<Integer> f : clients) assertThat(f.get()).isEqualTo(15);
                }
                Map<String, AttributeValue> steady = inFlightRow(s.ddb());
                assertThat(steady.keySet()).as("slots leased by the gateways").anyMatch(k -> k.startsWith("lease#"));
                assertThat(number(steady, "inflight")).isLessThanOrEqualTo(cap);

                // A burst of 120 at once: the cap is reached, the rest are refused as in-flight throttling.
                int served = throttledBurst(ports, keys, 120, 100);
                assertThat(served).isGreaterThanOrEqualTo(cap - 4).isLessThan(120);
                // What the model server ran at once, counted by its engine: never more than the cap.
                long most = s.fleet().replicas().get("small").stream().mapToLong(dev.tiergate.sim.SimulatedReplica::mostAtOnce).sum();
                assertThat(most).isLessThanOrEqualTo(cap).isGreaterThanOrEqualTo(cap / 2);
            } finally {
                for (Process p : gateways) stop(p);
            }
            // Stopped: every slot given back, every registration gone.
            Map<String, AttributeValue> after = inFlightRow(s.ddb());
            assertThat(number(after, "inflight")).isZero();
            assertThat(number(after, "leased")).isZero();
            assertThat(after.keySet()).noneMatch(k -> k.startsWith("lease#"));
            assertThat(s.ddb().scan(b -> b.tableName("tiergate-reservations")).count()).isZero();
        }
    }
}
