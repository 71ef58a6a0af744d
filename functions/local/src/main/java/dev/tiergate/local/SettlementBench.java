package dev.tiergate.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tiergate.adapters.dynamodb.DynamoBudgetLedger;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.settlement.WriteBehindSettlements;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code tiergate bench-settlement}: the CPU a settlement costs the gateway process apart from DynamoDB itself, in its two halves:
 * <ul>
 *   <li>{@code journal}: submitting it to the write-behind queue (the journal line on the request thread, the queue),
 *       with a writer that stores nothing; CPU of all threads;</li>
 *   <li>{@code writer}: the settlement writer's call, {@code DynamoBudgetLedger.finishAll} through the real SDK client
 *       (marshalling, signing, HTTP), against a loopback server that accepts every call; CPU of the calling thread
 *       only, so the server's work is not counted.</li>
 * </ul>
 * Settlements are held on leases, with three limited rows, as the default config's requests are.
 */
@Command(name = "bench-settlement", mixinStandardHelpOptions = true,
        description = "Print the CPU one settlement costs the gateway apart from DynamoDB: the journal append and queue on "
                + "the request path, and the settlement writer's SDK call against a loopback server that accepts every call. "
                + "Six rounds of each; the first ones include JIT warm-up.")
final class SettlementBench implements Callable<Integer> {

    @Option(names = "--settlements", defaultValue = "200000", description = "Settlements per round (default: ${DEFAULT-VALUE}).")
    int settlements;
    @Option(names = "--batch", defaultValue = "48", description = "Settlements per writer call, as the write-behind queue "
            + "takes them (default: ${DEFAULT-VALUE}).")
    int batch;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private static final Instant NOW = Instant.parse("2026-12-07T22:10:00Z");
    private static final List<LedgerRow> ROWS = List.of(
            row(Scope.KEY, "key_abc123", dev.tiergate.core.budget.Period.HOUR, "2026-12-07T22", "2026-12-07T23:00:00Z", "100"),
            row(Scope.TEAM, "team-payments", dev.tiergate.core.budget.Period.DAY, "2026-12-07", "2026-12-08T00:00:00Z", "1000"),
            row(Scope.ORG, "default", dev.tiergate.core.budget.Period.MONTH, "2026-12", "2027-01-01T00:00:00Z", "100000"));

    @Override
    public Integer call() throws Exception {
        if (settlements < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--settlements must be at least 1");
        // A writer call is one transaction of at most 100 items: the settlements' usage records and the rows they share.
        if (batch < 1 || batch > 90) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch must be from 1 to 90");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        journal(settlements, threads);
        writer(settlements, batch, threads);
        return 0;
    }

    private static void journal(int n, ThreadMXBean threads) throws Exception {
        var queue = new WriteBehindSettlements(b -> {}, Files.createTempDirectory("tiergate-bench-settlement"), 2, 4096,
                Duration.ofSeconds(5), Duration.ofMillis(20), new ObjectMapper());
        for (int round = 1; round <= 6; round++) {
            long cpu = allThreadsCpu(threads);
            for (int i = 0; i < n; i++) queue.submit(settlement("j" + round + "-" + i));
            queue.awaitWritten();
            System.out.printf("journal round %d: %.1f us CPU per settlement%n", round, (allThreadsCpu(threads) - cpu) / 1e3 / n);
        }
        queue.close();
    }

    private static void writer(int n, int batch, ThreadMXBean threads) throws Exception {
        HttpServer accepting = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        accepting.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            byte[] ok = "{}".getBytes();
            x.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
            x.sendResponseHeaders(200, ok.length);
            x.getResponseBody().write(ok);
            x.close();
        });
        accepting.start();
        try {
            var ledger = new DynamoBudgetLedger(DynamoClients.local(URI.create("http://127.0.0.1:" + accepting.getAddress().getPort())),
                    TableNames.withPrefix("bench-settlement"));
            int calls = Math.max(1, n / batch);
            for (int round = 1; round <= 6; round++) {
                long cpu = threads.getCurrentThreadCpuTime();
                for (int c = 0; c < calls; c++) {
                    List<Settlement> settlements = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) settlements.add(settlement("w" + round + "-" + c + "-" + i));
                    ledger.finishAll(settlements);
                }
                System.out.printf("writer round %d (%d per call): %.1f us CPU per settlement%n", round, batch,
                        (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / (calls * batch));
            }
        } finally {
            accepting.stop(0);
        }
    }

    private static Settlement settlement(String id) {
        var reservation = new Reservation(id, Usd.of("0.00042"), ROWS, NOW.plusSeconds(30), List.of(), Optional.empty(), Optional.of("gw-1"));
        var usage = new UsageRecord(id, NOW, "key_abc123", "default", "team-payments", "user-7", "small", "qwen2.5-7b",
                new TokenUsage(120, 80, 0), Usd.of("0.000031"), 3, 200, Outcome.OK, false, UsageSource.UPSTREAM, "");
        return new Settlement.Settle(reservation, usage);
    }

    private static LedgerRow row(Scope scope, String id, dev.tiergate.core.budget.Period period, String key, String resets, String limit) {
        return new LedgerRow(new ScopeRef(scope, id), period, key, Optional.of(Usd.of(limit)), Instant.parse(resets));
    }

    private static long allThreadsCpu(ThreadMXBean threads) {
        long sum = 0;
        for (long id : threads.getAllThreadIds()) sum += Math.max(0, threads.getThreadCpuTime(id));
        return sum;
    }
}
