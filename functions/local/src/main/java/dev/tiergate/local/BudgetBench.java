package dev.tiergate.local;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.wiring.DynamoCallStats;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tiergate bench-budget}: what the budget path costs, against DynamoDB Local and a zero-latency simulator.
 * Requests go through the gateway in process (no HTTP in front), one at a time after a warm-up; every DynamoDB call
 * is counted and timed by operation.
 */
@Command(name = "bench-budget", mixinStandardHelpOptions = true,
        description = "Benchmark the budget path: DynamoDB calls per request by operation and their latency "
                + "(p50/p99), write units per request and DynamoDB calls before dispatch per request, against DynamoDB Local, "
                + "with budgets set on the key, team and organisation and settlements written behind the answer as `serve` does.")
final class BudgetBench implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigFileOption config;
    @Option(names = "--requests", defaultValue = "500", description = "Measured requests (default: ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "--max-concurrent", defaultValue = "0",
            description = "Also cap the key's requests in flight at this many (0: no cap; default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Override
    public Integer call() throws Exception {
        TiergateConfig cfg = config.load();
        DynamoCallStats stats = new DynamoCallStats();
        String admin = "tg-admin-bench-0123456789abcdef";
        try (LocalDynamo dynamo = LocalDynamo.start(0, null);
             SimulatedFleet fleet = SimulatedFleet.start(cfg, 1, 0, 0, InetAddress.getLoopbackAddress());
             var ddb = DynamoClients.local(dynamo.endpoint(), List.of(stats))) {
            TableSetup.createIfMissing(ddb, TableNames.withPrefix(cfg.tablePrefix()));
            java.nio.file.Path work = java.nio.file.Files.createTempDirectory("tiergate-bench-budget");
            // As `serve` runs: settlements written behind the answer, from a journal, in shared batches.
            try (Gateway g = Gateway.build(cfg, ddb, StaticFleetRegistry.of(cfg, fleet.urls()), Clock.systemUTC(), Gateway::environment,
                    dev.tiergate.adapters.wiring.Telemetry.local(work.resolve("reports")),
                    dev.tiergate.adapters.settlement.SettlementWriting.WriteBehind.in(work.resolve("settlements")))) {
                g.installBootstrapAdmin(admin);
                String limits = maxConcurrent > 0 ? ",\"rate_limits\":{\"max_concurrent\":" + maxConcurrent + "}" : "";
                ApiResponse key = call(g, "POST", "/admin/keys", admin, "{\"team\":\"bench\",\"user\":\"b\"" + limits + "}");
                String secret = new com.fasterxml.jackson.databind.ObjectMapper().readTree(((ApiResponse.Whole) key).body()).get("key").asText();
                String keyId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(((ApiResponse.Whole) key).body()).get("id").asText();
                call(g, "PUT", "/admin/budgets/team/bench", admin, "{\"limits_usd\":{\"day\":1000,\"month\":10000}}");
                call(g, "PUT", "/admin/budgets/key/" + keyId, admin, "{\"limits_usd\":{\"request\":1,\"hour\":100}}");
                call(g, "PUT", "/admin/budgets/org/" + cfg.organization(), admin, "{\"limits_usd\":{\"month\":100000}}");
                String body = "{\"model\":\"" + cfg.tiers().getFirst().name() + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                for (int i = 0; i < 200; i++) call(g, "POST", "/v1/chat/completions", secret, body);
                g.awaitSettlementsWritten();
                stats.reset();
                String requestThread = Thread.currentThread().getName();
                List<Long> total = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    long t = System.nanoTime();
                    ApiResponse r = call(g, "POST", "/v1/chat/completions", secret, body);
                    total.add((System.nanoTime() - t) / 1000);
                    if (r.status() != 200) throw new IllegalStateException("request failed: " + r.status());
                }
                long beforeDispatch = stats.callsOn(requestThread);
                g.awaitSettlementsWritten();
                long units = stats.writeUnits();
                total.sort(null);
                System.out.printf(Locale.ROOT, "%d requests, one at a time, budgets on the key, its team and the organisation%s; simulator at zero latency%n%n",
                        requests, maxConcurrent > 0 ? ", the key's requests in flight capped at " + maxConcurrent : "");
                System.out.println("DynamoDB calls per request:");
                stats.counts().forEach((op, n) -> System.out.printf(Locale.ROOT, "  %-20s %5.2f   p50 %6.2f ms   p99 %6.2f ms%n", op,
                        n / (double) requests, pct(stats.durations(op), 50) / 1000.0, pct(stats.durations(op), 99) / 1000.0));
                System.out.printf(Locale.ROOT, "%nwrite units per request: %.2f%n", units / (double) requests);
                System.out.printf(Locale.ROOT, "DynamoDB calls before dispatch per request: %.3f%n", beforeDispatch / (double) requests);
                System.out.printf(Locale.ROOT, "whole request in the gateway p50 %.2f ms, p99 %.2f ms%n", pct(total, 50) / 1000.0, pct(total, 99) / 1000.0);
                System.out.println("(write units: one per KB written, twice in a transaction, amortized over the run; calls before dispatch: "
                        + "those made on the request's own thread, which are all before dispatch when settlements are written behind)");
            }
        }
        return 0;
    }

    private static ApiResponse call(Gateway g, String method, String path, String key, String body) {
        return g.api().handle(new ApiRequest(method, path, Map.of(), Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8)));
    }

    private static long pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) return 0;
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
