package dev.tiergate.local;

import dev.tiergate.core.config.ConfigException;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.sim.SimulatedReplica;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The {@code tiergate} command line. {@code bin/tiergate} builds what is missing, picks a JDK and runs this. */
@Command(name = "tiergate", mixinStandardHelpOptions = true, version = "tiergate 0.1.0",
        description = "An OpenAI-compatible LLM gateway: tiered routing, hard budgets, vLLM fleets on AWS.",
        subcommands = {TiergateCli.Up.class, TiergateCli.Sim.class, TiergateCli.Serve.class, TrainRouterCommand.class, BudgetBench.class, SettlementBench.class, LeaseSimulation.class, DispatchBench.class,
                PlanCommand.class, RoutingCommands.Route.class, RoutingCommands.EvalRouting.class, EvalCacheCommand.class, ReportCommand.class,
                dev.tiergate.local.bench.BenchCommand.class})
public final class TiergateCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Read once, when the first JDK HTTP server starts (the simulator's; the gateway sets TCP_NODELAY itself).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // No SLF4J backend ships with the CLI, so the AWS SDK's and Jetty's logs go nowhere: say so here instead of
        // letting SLF4J scan the class path for one and print three warning lines at every start.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        System.exit(commandLine(args).execute(args));
    }

    /** A bad option value, reported as picocli reports its own: the message, the command's usage, exit code 2. */
    static CommandLine.ParameterException usageError(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The command line; {@code up} loads its tokenizer itself, on a thread of its own while it starts. */
    static CommandLine commandLine(String... args) {
        return new CommandLine(new TiergateCli());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static TiergateConfig loadConfig(Path file) {
        try {
            return ConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(commandLine(), "bad config: " + e.getMessage());
        }
    }

    /**
     * Waits for Ctrl-C, SIGTERM or SIGHUP, runs {@code onStop} on this thread and returns the exit status (128 + the
     * signal's number, as when the JVM stops on a signal). Stopping here, before {@code System.exit} starts the JVM's
     * shutdown hooks, puts it in order: those hooks all run at once, and ONNX Runtime's own hook frees its environment
     * under a routing model still loading (a SIGSEGV). A shutdown hook still stops everything when the JVM exits some
     * other way; a second signal while stopping ends the process without waiting.
     */
    static int awaitStop(Runnable onStop) throws InterruptedException {
        CountDownLatch signalled = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger signal = new java.util.concurrent.atomic.AtomicInteger();
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    // A second Ctrl-C while stopping (which can wait for the routing model's load) ends the process
                    // at once; writes still queued are in the settlement journal, replayed at the next start.
                    if (!signal.compareAndSet(0, s.getNumber())) Runtime.getRuntime().halt(128 + s.getNumber());
                    signalled.countDown();
                });
            } catch (IllegalArgumentException taken) {
                // Reserved (-Xrs) or unknown here: the shutdown hook below still stops the stack.
            }
        }
        Runnable once = onlyOnce(onStop);
        Runtime.getRuntime().addShutdownHook(new Thread(once, "tiergate-shutdown"));
        signalled.await();
        once.run();
        return 128 + signal.get();
    }

    /** Runs {@code action} the first time; later callers wait until that run has ended. */
    private static Runnable onlyOnce(Runnable action) {
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        return () -> {
            if (started.compareAndSet(false, true)) {
                try {
                    action.run();
                } finally {
                    done.countDown();
                }
            } else {
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Start the local stack on 127.0.0.1: the gateway's HTTP API, DynamoDB Local (in memory unless "
                    + "--data), and one simulated vLLM replica per tier without an endpoint. Ctrl-C stops everything.",
                    "The bootstrap admin key is TIERGATE_ADMIN_KEY when set, else a new one is generated and printed.",
                    "Usage and ledger writes happen behind the answer, journaled under --data (replayed at the next start on the "
                            + "same folder); Ctrl-C writes what is queued before stopping."})
    static final class Up implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--port", defaultValue = "8080", description = "Gateway port (default: ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--replicas", defaultValue = "1", description = "Simulated replicas per tier (default: ${DEFAULT-VALUE}).")
        int replicas;
        @Option(names = "--sim-base-port", defaultValue = "0", description = "First simulator port, counting up; 0 picks free ports.")
        int simBasePort;
        @Option(names = "--time-scale", defaultValue = "1.0",
                description = "Multiplies every simulated latency; 0 answers instantly (default: ${DEFAULT-VALUE}).")
        double timeScale;
        @Option(names = "--data", description = "Keep DynamoDB's tables in this folder between runs (default: in memory).")
        Path data;
        @Option(names = "--dynamodb-port", paramLabel = "P",
                description = "Also serve DynamoDB Local over HTTP on this port (0 picks a free one), e.g. for the AWS CLI. "
                        + "Default: none; the gateway calls DynamoDB Local in process and no port is opened for it.")
        Integer dynamoPort;
        @Option(names = "--remote-write", paramLabel = "URL",
                description = "Push the gateway's and the fleet's metrics by Prometheus remote-write 1.0 to this URL, e.g. "
                        + "http://127.0.0.1:9090/api/v1/write (a Prometheus started with --web.enable-remote-write-receiver).")
        URI remoteWrite;
        @Option(names = "--monitor-seconds", defaultValue = "60",
                description = "How often the fleet monitor checks the replicas; 0 turns it off (default: ${DEFAULT-VALUE}).")
        int monitorSeconds;

        @Override
        public Integer call() throws Exception {
            // A bad value is a usage error (the message and the usage, exit code 2), as picocli's own checks are.
            if (replicas < 1 || replicas > 64) throw usageError(spec, "--replicas must be from 1 to 64, got " + replicas);
            if (monitorSeconds < 0) throw usageError(spec, "--monitor-seconds must be >= 0, got " + monitorSeconds);
            if (remoteWrite != null && (remoteWrite.getScheme() == null || !remoteWrite.getScheme().startsWith("http"))) {
                throw usageError(spec, "--remote-write must be an http(s) URL, got '" + remoteWrite + "'");
            }
            if (timeScale < 0) throw usageError(spec, "--time-scale must be >= 0, got " + timeScale);
            if (dynamoPort != null && (dynamoPort < 0 || dynamoPort > 65535)) {
                throw usageError(spec, "--dynamodb-port must be from 0 to 65535, got " + dynamoPort);
            }
            String env = System.getenv("TIERGATE_ADMIN_KEY");
            boolean generated = env == null || env.isBlank();
            String adminKey = generated ? generateKey() : env;
            LocalDeployment.Options options = new LocalDeployment.Options(port, replicas, simBasePort, timeScale, data)
                    .withMonitorSeconds(monitorSeconds);
            if (dynamoPort != null) options = options.withDynamoPort(dynamoPort);
            if (remoteWrite != null) options = options.withRemoteWrite(remoteWrite);
            // The config is read while DynamoDB Local starts.
            LocalDeployment stack;
            try {
                stack = LocalDeployment.start(config::load, options, adminKey);
            } catch (LocalDeployment.PortTaken portTaken) {
                System.err.println("tiergate up: " + portTaken.getMessage());
                return 1;
            }
            long startedMs = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
            markTrained();
            URI url = stack.url();
            System.out.println("tiergate is up in " + startedMs + " ms (JVM start to ready)");
            System.out.println();
            System.out.println("  API         " + url + "/v1");
            System.out.println("  DynamoDB    " + stack.dynamoEndpoint().map(URI::toString).orElse("in process (--dynamodb-port P serves it)")
                    + (data == null ? ", in memory" : ", data in " + data));
            for (Map.Entry<String, List<URI>> e : stack.gateway().config().tiers().stream()
                    .collect(java.util.stream.Collectors.toMap(t -> t.name(), t -> stack.fleet().urls().getOrDefault(t.name(),
                            t.endpoint().map(List::of).orElse(List.of())), (a, b) -> a, java.util.LinkedHashMap::new)).entrySet()) {
                System.out.println("  tier " + String.format("%-7s", e.getKey()) + e.getValue());
            }
            System.out.println("  metrics     " + url + "/metrics (admin key)" + (remoteWrite == null ? "" : ", pushed to " + remoteWrite));
            // A key the operator chose is theirs already: never echoed to a terminal that may be recorded or shared.
            System.out.println("  admin key   " + (generated ? adminKey + "   (generated; set TIERGATE_ADMIN_KEY to choose one)"
                    : "from TIERGATE_ADMIN_KEY"));
            System.out.println();
            System.out.println("Try it:");
            System.out.println("  curl -s " + url + "/v1/chat/completions -H \"Authorization: Bearer " + (generated ? adminKey : "$TIERGATE_ADMIN_KEY")
                    + "\" -H 'Content-Type: application/json' -d '{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"What is a GPU?\"}]}'");
            System.out.println();
            System.out.println("Ctrl-C stops everything.");
            return awaitStop(stack::close);
        }

        /**
         * Tells bin/tiergate that the AOT cache this run records came from a stack that started (the launcher sets the
         * property only when recording); a failed start leaves no mark, and its cache is recorded again next time.
         */
        private static void markTrained() {
            String mark = System.getProperty("tiergate.aot.trained");
            if (mark == null || mark.isBlank()) return;
            try {
                java.nio.file.Files.writeString(Path.of(mark), "recorded by an up that started\n");
            } catch (java.io.IOException e) {
                System.err.println("tiergate: could not mark the start-up cache as recorded (" + e.getMessage() + "); the next 'up' records it again");
            }
        }

        private static String generateKey() {
            byte[] b = new byte[24];
            new SecureRandom().nextBytes(b);
            return "tg-admin-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Run only the gateway (HTTP API and reservation sweeper) against an existing DynamoDB and fleet: "
                    + "how tiergate runs as a plain service on containers.",
                    "The bootstrap admin key is TIERGATE_ADMIN_KEY when set. Tables are created if missing."})
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--port", defaultValue = "8080", description = "Gateway port (default: ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--dynamodb-endpoint", required = true, description = "DynamoDB endpoint, e.g. http://127.0.0.1:8000 (DynamoDB Local).")
        URI dynamo;
        @Option(names = "--replicas", defaultValue = "", description = "Tiers without an endpoint: tier=url[,url];tier=url ...")
        String replicas;
        @Option(names = "--sweep-seconds", defaultValue = "2", description = "How often stale reservations are released (default: ${DEFAULT-VALUE}).")
        int sweepSeconds;
        @Option(names = "--journal", defaultValue = "tiergate-journal", description = "Folder of the settlement journal: "
                + "usage and ledger writes happen behind the answer, and what a stopped gateway had not written is replayed "
                + "from here at the next start (default: ${DEFAULT-VALUE}).")
        Path journal;

        @Override
        public Integer call() throws Exception {
            TiergateConfig cfg = config.load();
            java.util.Map<String, List<URI>> fleet = dev.tiergate.adapters.fleet.StaticFleetRegistry.parse(replicas);
            software.amazon.awssdk.services.dynamodb.DynamoDbClient ddb = dev.tiergate.adapters.wiring.DynamoClients.local(dynamo);
            dev.tiergate.adapters.dynamodb.TableSetup.createIfMissing(ddb, dev.tiergate.adapters.dynamodb.TableNames.withPrefix(cfg.tablePrefix()));
            dev.tiergate.adapters.wiring.Gateway gateway = dev.tiergate.adapters.wiring.Gateway.build(cfg, ddb,
                    dev.tiergate.adapters.fleet.StaticFleetRegistry.of(cfg, fleet), java.time.Clock.systemUTC(),
                    dev.tiergate.adapters.wiring.Gateway::environment,
                    dev.tiergate.adapters.wiring.Telemetry.local(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "tiergate")),
                    dev.tiergate.adapters.settlement.SettlementWriting.WriteBehind.in(journal));
            String admin = System.getenv("TIERGATE_ADMIN_KEY");
            if (admin != null && !admin.isBlank()) gateway.installBootstrapAdmin(admin);
            // A service routes with the full model from its first request: it listens once the model has loaded.
            if (!gateway.routing().awaitReady(java.time.Duration.ofSeconds(60))) {
                System.err.println("tiergate: the routing embedding model did not load in 60 s; serving with the heuristics model until it does");
            }
            AutoCloseable sweeper = LocalDeployment.sweepEvery(gateway, java.time.Duration.ofSeconds(Math.max(1, sweepSeconds)));
            dev.tiergate.adapters.http.HttpApiServer server = dev.tiergate.adapters.http.HttpApiServer.start(gateway.api(), new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            System.out.println("tiergate gateway serving " + server.url() + " (DynamoDB " + dynamo + ")");
            return awaitStop(() -> {
                server.close();
                try {
                    sweeper.close();
                } catch (Exception ignored) {
                    // stopping
                }
                gateway.close();
                ddb.close();
            });
        }
    }

    @Command(name = "sim", mixinStandardHelpOptions = true,
            description = "Start only the simulated vLLM fleet (for use behind another gateway): N replicas for every tier "
                    + "of the config that has no endpoint, on consecutive ports. Each replica serves vLLM's OpenAI API, "
                    + "/metrics, /health and POST /admin/faults.")
    static final class Sim implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigFileOption config;
        @Option(names = "--replicas", defaultValue = "1", description = "Replicas per tier (default: ${DEFAULT-VALUE}).")
        int replicas;
        @Option(names = "--base-port", defaultValue = "8100", description = "First port, counting up (default: ${DEFAULT-VALUE}).")
        int basePort;
        @Option(names = "--time-scale", defaultValue = "1.0", description = "Multiplies every simulated latency; 0 answers instantly.")
        double timeScale;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (replicas < 1 || replicas > 64) throw usageError(spec, "--replicas must be from 1 to 64, got " + replicas);
            TiergateConfig cfg = config.load();
            SimulatedFleet fleet = SimulatedFleet.start(cfg, replicas, basePort, timeScale, InetAddress.getLoopbackAddress());
            fleet.replicas().forEach((tier, list) -> {
                for (SimulatedReplica r : list) {
                    System.out.println("tier " + tier + "  model " + r.settings().servedModelName() + "  " + r.baseUrl());
                }
            });
            System.out.println("Ctrl-C stops the fleet.");
            return awaitStop(fleet::close);
        }
    }
}
