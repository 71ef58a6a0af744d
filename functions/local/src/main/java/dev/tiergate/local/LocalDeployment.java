package dev.tiergate.local;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.sim.SageMakerRuntimeStandIn;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.adapters.settlement.SettlementWriting;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.adapters.wiring.Telemetry;
import dev.tiergate.adapters.http.HttpApiServer;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.adapters.metrics.RemoteWriteClient;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.usage.TokenCounter;
import com.knuddels.jtokkit.api.Encoding;
import dev.tiergate.sim.PromptTokenizer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Everything {@code tiergate up} runs, in one process so that stopping it leaves nothing behind: DynamoDB Local with
 * the tables (called in process, or also served over HTTP when a port is asked for), a simulated fleet for the tiers
 * without an endpoint, and the gateway's HTTP API.
 */
public final class LocalDeployment implements AutoCloseable {

    /**
     * What to start; {@link #defaults} gives the documented defaults of {@code tiergate up}.
     *
     * @param dynamoPort empty: DynamoDB Local is called in process and opens no port; a port (0 picks a free one): it is
     *                   also served over HTTP there, for the AWS CLI or a Lambda handler under test
     */
    public record Options(int port, int replicasPerTier, int simBasePort, double timeScale, Path dataDir, OptionalInt dynamoPort,
                          java.util.Optional<URI> remoteWrite, int monitorSeconds, boolean discovery) {
        public Options {
            if (dynamoPort.isPresent() && (dynamoPort.getAsInt() < 0 || dynamoPort.getAsInt() > 65535)) {
                throw new IllegalArgumentException("--dynamodb-port must be from 0 to 65535, got " + dynamoPort.getAsInt());
            }
        }

        public Options(int port, int replicasPerTier, int simBasePort, double timeScale, Path dataDir) {
            this(port, replicasPerTier, simBasePort, timeScale, dataDir, OptionalInt.empty(), java.util.Optional.empty(), 0, false);
        }

        public static Options defaults() {
            return new Options(8080, 1, 0, 1.0, null);
        }

        /** DynamoDB Local also served over HTTP on this port; 0 picks a free one. */
        public Options withDynamoPort(int p) {
            return new Options(port, replicasPerTier, simBasePort, timeScale, dataDir, OptionalInt.of(p), remoteWrite, monitorSeconds, discovery);
        }

        public Options withRemoteWrite(URI url) {
            return new Options(port, replicasPerTier, simBasePort, timeScale, dataDir, dynamoPort, java.util.Optional.of(url), monitorSeconds, discovery);
        }

        public Options withMonitorSeconds(int seconds) {
            return new Options(port, replicasPerTier, simBasePort, timeScale, dataDir, dynamoPort, remoteWrite, seconds, discovery);
        }

        public Options withPort(int p) {
            return new Options(p, replicasPerTier, simBasePort, timeScale, dataDir, dynamoPort, remoteWrite, monitorSeconds, discovery);
        }

        public Options withTimeScale(double t) {
            return new Options(port, replicasPerTier, simBasePort, t, dataDir, dynamoPort, remoteWrite, monitorSeconds, discovery);
        }

        /**
         * Each EC2 tier discovered as in AWS: its replicas registered in a target group that a DescribeTargetHealth
         * stand-in reports, their addresses registered in the fleet table as instances do at boot, and the registry
         * reading what the fleet monitor found.
         */
        public Options withDiscovery() {
            return new Options(port, replicasPerTier, simBasePort, timeScale, dataDir, dynamoPort, remoteWrite, monitorSeconds, true);
        }

        public Options withReplicas(int n) {
            return new Options(port, n, simBasePort, timeScale, dataDir, dynamoPort, remoteWrite, monitorSeconds, discovery);
        }
    }

    /** How long after the start the routing model begins loading when no request has needed it yet. */
    static final java.time.Duration ROUTING_MODEL_DELAY = java.time.Duration.ofSeconds(2);

    private final List<AutoCloseable> parts;
    private final HttpApiServer server;
    private final SimulatedFleet fleet;
    private final Optional<URI> dynamoEndpoint;
    private final DynamoDbClient dynamoClient;
    private final Gateway gateway;

    private LocalDeployment(List<AutoCloseable> parts, HttpApiServer server, SimulatedFleet fleet, Optional<URI> dynamoEndpoint,
                       DynamoDbClient dynamoClient, Gateway gateway) {
        this.parts = parts;
        this.server = server;
        this.fleet = fleet;
        this.dynamoEndpoint = dynamoEndpoint;
        this.dynamoClient = dynamoClient;
        this.gateway = gateway;
    }

    public static LocalDeployment start(TiergateConfig config, Options options, String adminKey) throws Exception {
        return start(() -> config, options, adminKey);
    }

    /**
     * Starts the stack, in order: the config, the gateway's port, the simulated fleet, DynamoDB Local's tables, the
     * gateway. DynamoDB Local's own start, the longest step and one that needs nothing else, runs beside that sequence
     * (in sequence `up` took ~0.2 s longer). The port is taken first so that a port in use fails at once, and a client
     * that connects while the rest starts is held until the gateway can answer it (see {@link #whenReady}). A failure
     * stops what had started.
     */
    public static LocalDeployment start(Callable<TiergateConfig> readConfig, Options options, String adminKey) throws Exception {
        List<AutoCloseable> parts = new ArrayList<>();
        CompletableFuture<HttpApiServer.Handler> ready = new CompletableFuture<>();
        OptionalInt dynamoPort = options.dynamoPort().isEmpty() ? OptionalInt.empty()
                : OptionalInt.of(options.dynamoPort().getAsInt() == 0 ? LocalDynamo.freePort() : options.dynamoPort().getAsInt());
        CompletableFuture<AutoCloseable> dynamoStart = new CompletableFuture<>();
        Thread.ofPlatform().name("tiergate-start-dynamodb").start(() -> {
            try {
                dynamoStart.complete(dynamoPort.isPresent() ? LocalDynamo.start(dynamoPort.getAsInt(), options.dataDir())
                        : EmbeddedDynamo.start(Optional.ofNullable(options.dataDir())));
            } catch (Exception | Error e) {
                dynamoStart.completeExceptionally(e);
            }
        });
        try {
            TiergateConfig config = readConfig.call();
            InetAddress loopback = InetAddress.getLoopbackAddress();
            try {
                parts.add(HttpApiServer.start(whenReady(ready), config.gateway().maxBodyBytes(), new InetSocketAddress(loopback, options.port())));
            } catch (java.io.IOException e) {
                throw new PortTaken(loopback.getHostAddress() + ":" + options.port(), e);
            }
            HttpApiServer server = (HttpApiServer) parts.getLast();
            // One cl100k_base for the fleet and the gateway: each load is 0.15-0.3 s of CPU on the way to the first answer.
            Encoding cl100k = TokenCounter.cl100k();
            SimulatedFleet fleet = SimulatedFleet.start(config, options.replicasPerTier(), options.simBasePort(), options.timeScale(),
                    loopback, new PromptTokenizer(cl100k));
            parts.add(fleet);
            // A SageMaker tier's simulated replicas are its endpoint's containers, behind SageMaker Runtime's wire API:
            // the gateway reaches them through the SDK client, as in AWS.
            Map<String, List<URI>> replicaUrls = new java.util.LinkedHashMap<>(fleet.urls());
            Map<String, List<URI>> sageMakerEndpoints = new java.util.LinkedHashMap<>();
            for (dev.tiergate.core.config.TierConfig t : config.tiers()) {
                dev.tiergate.core.fleet.SageMakerEndpoint.of(config, t).ifPresent(e -> {
                    sageMakerEndpoints.put(e.name(), replicaUrls.getOrDefault(t.name(), List.of()));
                    replicaUrls.put(t.name(), List.of(e.address()));
                });
            }
            Gateway.Startup startup = new Gateway.Startup(new TokenCounter(cl100k), false);
            if (!sageMakerEndpoints.isEmpty()) {
                SageMakerRuntimeStandIn sageMaker = SageMakerRuntimeStandIn.start(sageMakerEndpoints, loopback, 0);
                parts.add(sageMaker);
                startup = startup.withSageMaker(dev.tiergate.adapters.sagemaker.SageMakerUpstream.Access.standIn(sageMaker.url()));
            }
            AutoCloseable dynamo = joined(dynamoStart);
            parts.add(dynamo);
            // DynamoDB Local's own client in process, or a client of its HTTP server.
            DynamoDbClient ddb;
            if (dynamo instanceof EmbeddedDynamo embedded) {
                ddb = embedded.client();
            } else {
                ddb = DynamoClients.local(URI.create("http://127.0.0.1:" + dynamoPort.getAsInt()));
                parts.add(ddb);
            }
            TableSetup.createIfMissing(ddb, TableNames.withPrefix(config.tablePrefix()));
            Path reportsDir = options.dataDir() != null ? options.dataDir() : java.nio.file.Files.createTempDirectory("tiergate-data");
            Telemetry telemetry = Telemetry.local(reportsDir);
            // --remote-write wins over the config's remote_write; the config's may sign for AMP.
            var configured = config.observability().remoteWrite();
            if (options.remoteWrite().isPresent()) {
                telemetry = telemetry.withRemoteWrite(options.remoteWrite().get(), Optional.empty(), "local:" + options.port());
            } else if (configured.isPresent()) {
                telemetry = telemetry.withRemoteWrite(configured.get().url(), configured.get().sigv4Region().map(r ->
                        new RemoteWriteClient.Signing(r, software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider.builder().build())),
                        "local:" + options.port());
            }
            // Settlements are written behind the answer, journaled beside the data: a restart on the same --data folder
            // replays what a killed gateway had not written yet.
            dev.tiergate.core.ports.FleetRegistry registry = StaticFleetRegistry.of(config, replicaUrls);
            if (options.discovery()) {
                DeployedFleet deployed = DeployedFleet.start(config, fleet, ddb, TableNames.withPrefix(config.tablePrefix()).fleet());
                parts.add(deployed);
                registry = deployed.registry(registry);
            }
            Gateway gateway = Gateway.build(config, ddb, registry, Clock.systemUTC(),
                    Gateway::environment, telemetry, SettlementWriting.WriteBehind.in(reportsDir.resolve("settlements")), startup);
            parts.add(gateway);
            if (options.monitorSeconds() > 0) parts.add(every("fleet-monitor", gateway.fleetMonitor()::check, options.monitorSeconds()));
            gateway.remoteWrite().ifPresent(p -> p.start(configured.map(r -> r.intervalSeconds()).orElse(5)));
            gateway.installBootstrapAdmin(adminKey);
            parts.add(sweepEvery(gateway, java.time.Duration.ofSeconds(2)));
            ready.complete(gateway.api()::handle);
            // The routing model loads in the background from the first auto-routed request, or two seconds after the
            // stack is up, whichever comes first: its ~1.5 s of CPU would otherwise compete with the start and the first
            // answers on small machines. Until it has loaded the heuristics route alone, as they always did meanwhile.
            CompletableFuture.runAsync(gateway.routing()::startModelLoad,
                    CompletableFuture.delayedExecutor(ROUTING_MODEL_DELAY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
            Optional<URI> endpoint = dynamo instanceof LocalDynamo served ? Optional.of(served.endpoint()) : Optional.empty();
            return new LocalDeployment(parts, server, fleet, endpoint, ddb, gateway);
        } catch (Exception e) {
            ready.completeExceptionally(e); // held requests are answered 503 before the server closes
            // DynamoDB Local may still be starting: stop it once it has, unless it is among the parts closed here.
            List<AutoCloseable> closing = List.copyOf(parts);
            dynamoStart.thenAccept(d -> {
                if (!closing.contains(d)) closeQuietly(d);
            });
            closeAll(parts);
            throw e;
        }
    }

    private static AutoCloseable joined(CompletableFuture<AutoCloseable> start) throws Exception {
        try {
            return start.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Exception cause) throw cause;
            throw e;
        }
    }

    /** The gateway's port could not be taken; {@code tiergate up} says so in one line. */
    public static final class PortTaken extends java.net.BindException {
        PortTaken(String address, java.io.IOException cause) {
            super("cannot listen on " + address + " (" + cause.getMessage() + "); is another tiergate up running? --port picks another");
            initCause(cause);
        }
    }

    /**
     * The gateway's handler once {@code gateway} completes: a request that arrives during the start is held until then,
     * and answered 503 if the start fails instead.
     */
    static HttpApiServer.Handler whenReady(CompletableFuture<HttpApiServer.Handler> gateway) {
        return request -> {
            HttpApiServer.Handler ready;
            try {
                ready = gateway.join();
            } catch (CompletionException | java.util.concurrent.CancellationException notStarted) {
                Throwable why = notStarted.getCause() != null ? notStarted.getCause() : notStarted;
                OpenAiError e = new OpenAiError(503, "server_error", "tiergate did not start: " + why.getMessage(),
                        Optional.empty(), Optional.of("not_started"));
                return new ApiResponse.Whole(503, Map.of("content-type", "application/json"),
                        e.toJson(new com.fasterxml.jackson.databind.ObjectMapper()).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return ready.handle(request);
        };
    }


    /**
     * Runs a scheduled function's work in the background, as EventBridge does in AWS; the first run comes up to two
     * seconds after the start rather than during it (a sweep scans a table).
     */
    static AutoCloseable every(String name, Runnable work, int seconds) {
        java.util.concurrent.ScheduledExecutorService s = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        s.scheduleWithFixedDelay(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                System.getLogger("tiergate." + name).log(System.Logger.Level.WARNING, name + " failed: " + e.getMessage());
            }
        }, Math.min(seconds, 2), seconds, java.util.concurrent.TimeUnit.SECONDS);
        return s::shutdownNow;
    }

    /** Runs the reservation sweeper in the background, as the scheduled function does in AWS. */
    static AutoCloseable sweepEvery(Gateway gateway, java.time.Duration every) {
        return every("reservation-sweeper", () -> gateway.sweeper().sweepOnce(), (int) Math.max(1, every.toSeconds()));
    }

    public URI url() {
        return server.url();
    }

    public SimulatedFleet fleet() {
        return fleet;
    }

    /** The target groups and registrations the fleet is discovered from, when started {@code withDiscovery()}. */
    public Optional<DeployedFleet> deployedFleet() {
        return parts.stream().filter(DeployedFleet.class::isInstance).map(DeployedFleet.class::cast).findFirst();
    }

    /** SageMaker Runtime's stand-in, when some tier is served by SageMaker: its containers are that tier's replicas. */
    public Optional<SageMakerRuntimeStandIn> sageMakerRuntime() {
        return parts.stream().filter(SageMakerRuntimeStandIn.class::isInstance).map(SageMakerRuntimeStandIn.class::cast).findFirst();
    }

    /** Where DynamoDB Local is served over HTTP; empty when it runs in process only (the default). */
    public Optional<URI> dynamoEndpoint() {
        return dynamoEndpoint;
    }

    public DynamoDbClient dynamoClient() {
        return dynamoClient;
    }

    public Gateway gateway() {
        return gateway;
    }

    /** Stops the HTTP servers together (each takes up to a second), then the gateway, then DynamoDB. */
    @Override
    public void close() {
        Thread serverStop = Thread.ofVirtual().start(server::close);
        fleet.close();
        try {
            serverStop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeAll(parts);
    }

    private static void closeQuietly(AutoCloseable part) {
        try {
            part.close();
        } catch (Exception ignored) {
            // stopping is best effort
        }
    }

    /** Closes in reverse order of starting: the server first, DynamoDB last. */
    private static void closeAll(List<AutoCloseable> parts) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }
}
