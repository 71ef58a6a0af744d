package dev.tiergate.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.SimulatedReplica;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code tiergate bench-dispatch}: the resilience and placement figures, on local stacks (DynamoDB Local, simulated
 * replicas at zero latency, the gateway over HTTP on loopback).
 */
@Command(name = "bench-dispatch", mixinStandardHelpOptions = true,
        description = "Benchmark dispatch: success under 30%% injected errors, traffic to a dead replica once its breaker "
                + "opens, prefix-cache hit rate and load balance of prefix-aware vs round-robin replica choice, and the "
                + "time-to-first-token the gateway adds to a stream.")
final class DispatchBench implements Callable<Integer> {

    @Option(names = "--requests", defaultValue = "2000", description = "Requests per scenario (default: ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "--concurrency", defaultValue = "16", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--only", description = "Run one scenario: errors, dead, placement or ttft.")
    String only;

    private static final String ADMIN = "tg-admin-bench-dispatch-0123456";
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();


    private LocalDeployment stack(String selection, int replicas) throws Exception {
        return stack(selection, replicas, true);
    }

    private LocalDeployment stack(String selection, int replicas, boolean budgets) throws Exception {
        return stack(selection, replicas, budgets, false);
    }

    private LocalDeployment stack(String selection, int replicas, boolean budgets, boolean discovered) throws Exception {
        TiergateConfig c = ConfigLoader.parse(DispatchWorkload.config(selection, budgets), "bench.yaml");
        // DynamoDB Local over HTTP, as the published figures were measured: a network hop per call, as in AWS.
        LocalDeployment.Options o = new LocalDeployment.Options(0, replicas, 0, 0, null).withDynamoPort(0);
        return LocalDeployment.start(c, discovered ? o.withDiscovery() : o, ADMIN);
    }

    private String key(LocalDeployment s, String team) throws Exception {
        HttpResponse<String> r = post(s.url(), "/admin/keys", ADMIN, "{\"team\":\"" + team + "\",\"user\":\"bench\"}");
        return json.readTree(r.body()).get("key").asText();
    }

    private HttpResponse<String> post(URI base, String path, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the bodies with {@code concurrency} clients; returns the status codes. */
    private List<Integer> run(URI base, String key, List<String> bodies) throws Exception {
        List<Integer> codes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<Integer>> fs = new ArrayList<>();
            for (String b : bodies) fs.add(pool.submit(() -> post(base, "/v1/chat/completions", key, b).statusCode()));
            for (Future<Integer> f : fs) codes.add(f.get());
        }
        return codes;
    }


    @Override
    public Integer call() throws Exception {
        System.out.printf(Locale.ROOT, "bench-dispatch: %d requests per scenario, %d concurrent clients, simulator at zero latency%n%n", requests, concurrency);
        if (only == null || only.equals("errors")) errors();
        if (only == null || only.equals("dead")) deadReplica();
        if (only == null || only.equals("placement")) placement();
        if (only == null || only.equals("ttft")) ttft();
        return 0;
    }

    private void errors() throws Exception {
        try (LocalDeployment s = stack("prefix_affinity", 2)) {
            String key = key(s, "errors");
            s.fleet().replicas().get("small").forEach(r -> r.setFaults(Faults.NONE.with(Map.of("error_rate", 0.3, "error_status", 503))));
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < requests; i++) bodies.add(DispatchWorkload.chat("You are helpful.", "question " + i));
            List<Integer> codes = run(s.url(), key, bodies);
            long ok = codes.stream().filter(c -> c == 200).count();
            List<UsageRecord> usage = s.gateway().usage().forTeamDay("errors", LocalDate.now(ZoneOffset.UTC));
            BigDecimal sum = usage.stream().map(r -> r.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
            long fellBack = usage.stream().filter(r -> !r.fallbackFrom().isEmpty()).count();
            System.out.printf(Locale.ROOT, "30%% injected 503s on the small tier: %.2f%% of %d succeeded (%d served by a fallback); "
                            + "%d usage records for %d requests (none twice), total $%s%n",
                    100.0 * ok / requests, requests, fellBack, usage.size(), requests, sum.stripTrailingZeros().toPlainString());
        }
    }

    private void deadReplica() throws Exception {
        try (LocalDeployment s = stack("prefix_affinity", 2)) {
            String key = key(s, "dead");
            SimulatedReplica dead = s.fleet().replicas().get("small").get(0);
            dead.setFaults(Faults.NONE.with(Map.of("reset_rate", 1)));
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < requests; i++) bodies.add(DispatchWorkload.chat("You are helpful.", "question " + i));
            List<Integer> codes = run(s.url(), key, bodies);
            long ok = codes.stream().filter(c -> c == 200).count();
            System.out.printf(Locale.ROOT, "one of two replicas dead: %d of %d requests reached it (%.2f%%), %.2f%% succeeded%n",
                    dead.received(), requests, 100.0 * dead.received() / requests, 100.0 * ok / requests);
        }
    }

    private void placement() throws Exception {
        // The third run finds the replicas as deployed: a target group's healthy targets and the addresses the
        // instances registered, read through the SDK client from a DescribeTargetHealth stand-in.
        for (String run : new String[]{"round_robin", "prefix_affinity", "prefix_affinity+discovered"}) {
            String selection = run.replace("+discovered", "");
            try (LocalDeployment s = stack(selection, 4, true, run.endsWith("+discovered"))) {
                String key = key(s, "placement");
                Random rnd = new Random(7);
                List<String> systems = DispatchWorkload.systemPrompts(rnd);
                List<String> bodies = new ArrayList<>();
                for (int i = 0; i < requests; i++) bodies.add(DispatchWorkload.chat(systems.get(rnd.nextInt(systems.size())), "question " + i));
                run(s.url(), key, bodies);
                long queries = 0, hits = 0, max = 0, total = 0;
                for (SimulatedReplica r : s.fleet().replicas().get("small")) {
                    queries += r.prefixCache().queries();
                    hits += r.prefixCache().hits();
                    max = Math.max(max, r.received());
                    total += r.received();
                }
                double mean = total / 4.0;
                System.out.printf(Locale.ROOT, "%-26s 4 replicas (prefix cache of 400 blocks = 6,400 tokens each), 20 system prompts of ~1k tokens: prefix-cache hit rate %.1f%%, busiest replica %.2f× the mean%n",
                        run, 100.0 * hits / queries, max / mean);
            }
        }
    }

    private void ttft() throws Exception {
        ttft(true);
        ttft(false);
    }

    private void ttft(boolean budgets) throws Exception {
        try (LocalDeployment s = stack("prefix_affinity", 1, budgets)) {
            String key = key(s, "ttft");
            URI direct = s.fleet().replicas().get("small").getFirst().baseUrl();
            List<Long> viaGateway = new ArrayList<>();
            List<Long> viaDirect = new ArrayList<>();
            String body = "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi %d\"}]}";
            int n = Math.min(requests, 1000);
            for (int i = 0; i < n + 100; i++) {
                long g = firstToken(s.url().resolve("/v1/chat/completions"), key, body.formatted("small", i));
                long d = firstToken(direct.resolve("/v1/chat/completions"), null, body.formatted("d-small", i));
                if (i >= 100) {
                    viaGateway.add(g);
                    viaDirect.add(d);
                }
            }
            viaGateway.sort(null);
            viaDirect.sort(null);
            System.out.printf(Locale.ROOT, "streaming time to first token (%s), %d interleaved pairs: direct p50 %.2f ms, via gateway p50 %.2f ms: "
                            + "the gateway adds %.2f ms at p50, %.2f ms at p99%n", budgets ? "budgets on" : "routing only: budgets off, key cached", n, viaDirect.get(n / 2) / 1000.0, viaGateway.get(n / 2) / 1000.0,
                    (viaGateway.get(n / 2) - viaDirect.get(n / 2)) / 1000.0,
                    (viaGateway.get(n * 99 / 100) - viaDirect.get(n * 99 / 100)) / 1000.0);
        }
    }

    /** Microseconds from sending to the first SSE event that carries content. */
    private long firstToken(URI url, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        long start = System.nanoTime();
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        long first = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (first < 0 && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) first = System.nanoTime();
            }
        }
        return (first - start) / 1000;
    }

}
