package dev.tiergate.adapters.wiring;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.dynamodb.DynamoBudgetLedger;
import dev.tiergate.adapters.dynamodb.DynamoBudgetStore;
import dev.tiergate.adapters.dynamodb.DynamoKeyStore;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.adapters.fleet.HttpReplicaProbe;
import dev.tiergate.adapters.sagemaker.SageMakerUpstream;
import dev.tiergate.adapters.metrics.GatewayMetrics;
import dev.tiergate.core.fleet.FleetMonitor;
import dev.tiergate.core.gateway.ReportApi;
import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.report.DailyCostReport;
import dev.tiergate.core.report.DailyReportJob;
import dev.tiergate.core.report.ReportRenderer;
import dev.tiergate.adapters.dynamodb.DynamoUsageLog;
import dev.tiergate.adapters.settlement.SettlementWriting;
import dev.tiergate.adapters.settlement.WriteBehindSettlements;
import dev.tiergate.core.ports.SettlementQueue;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.http.HttpUpstream;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Authenticator;
import dev.tiergate.core.auth.KeySecrets;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.dispatch.BreakerBoard;
import dev.tiergate.core.dispatch.Dispatcher;
import dev.tiergate.core.dispatch.ReplicaSelector;
import dev.tiergate.adapters.dynamodb.DynamoAuditLog;
import dev.tiergate.adapters.dynamodb.DynamoIdempotencyStore;
import dev.tiergate.adapters.dynamodb.DynamoResponseCache;
import dev.tiergate.adapters.dynamodb.DynamoReplicaHealth;
import dev.tiergate.core.budget.ReservationSweeper;
import dev.tiergate.core.gateway.AdminApi;
import dev.tiergate.core.gateway.BudgetAdminApi;
import dev.tiergate.core.gateway.UsageReportApi;
import dev.tiergate.core.gateway.chat.ChatCompletions;
import dev.tiergate.core.gateway.GatewayApi;
import dev.tiergate.core.gateway.ModelCatalog;
import dev.tiergate.core.gateway.RouteApi;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.TokenCounter;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The one place that builds a gateway's object graph, for every runtime: the Lambda functions and the local server
 * both call {@link #build}. Tests may wire the core by hand instead.
 */
public final class Gateway implements AutoCloseable {

    public static final String BOOTSTRAP_ADMIN_KEY_ID = dev.tiergate.core.auth.BootstrapKey.ID;
    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    /** A key hash no secret has (not 64 hex digits): what the health probe looks up. */
    private static final String HEALTH_PROBE_HASH = "health-probe";

    /** The process environment as a secret source. */
    public static Optional<String> environment(String name) {
        return Optional.ofNullable(System.getenv(name));
    }

    private final GatewayApi api;
    private final KeyStore keys;
    private final Authenticator auth;
    private volatile CompletableFuture<Void> bootstrapStored = CompletableFuture.completedFuture(null);
    private final UsageLog usage;
    private final FleetUpstream upstream;
    private final TiergateConfig config;
    private final Clock clock;
    private final Routing routing;
    private final ReservationSweeper sweeper;
    private final DynamoBudgetLedger ledger;
    private final DynamoBudgetStore budgets;
    private final DailyReportJob reports;
    private final FleetMonitor monitor;
    private final GatewayMetrics metrics;
    private final Optional<dev.tiergate.adapters.metrics.RemoteWritePusher> remoteWrite;
    private final Optional<WriteBehindSettlements> writeBehind;
    private final Optional<dev.tiergate.core.budget.BudgetEscrow> escrow;
    private final Optional<Thread> escrowKeeper;
    private final Optional<dev.tiergate.adapters.settlement.AfterResponseSettlements> afterResponse;

    private Gateway(GatewayApi api, KeyStore keys, Authenticator auth, UsageLog usage, FleetUpstream upstream, TiergateConfig config, Clock clock,
                    Routing routing, ReservationSweeper sweeper, DynamoBudgetLedger ledger, DailyReportJob reports,
                    FleetMonitor monitor, GatewayMetrics metrics, Optional<dev.tiergate.adapters.metrics.RemoteWritePusher> remoteWrite,
                    Optional<WriteBehindSettlements> writeBehind, DynamoBudgetStore budgets,
                    Optional<dev.tiergate.core.budget.BudgetEscrow> escrow,
                    Optional<dev.tiergate.adapters.settlement.AfterResponseSettlements> afterResponse) {
        this.afterResponse = afterResponse;
        this.writeBehind = writeBehind;
        this.escrow = escrow;
        // Leases are renewed, topped up and returned off the request path, twice a second.
        this.escrowKeeper = escrow.map(e -> Thread.ofPlatform().daemon().name("budget-leases").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(500);
                    e.maintain();
                } catch (InterruptedException stop) {
                    return;
                } catch (RuntimeException failed) {
                    LOG.log(System.Logger.Level.WARNING, "budget lease upkeep failed: " + failed);
                }
            }
        }));
        this.budgets = budgets;
        this.auth = auth;
        this.remoteWrite = remoteWrite;
        this.reports = reports;
        this.monitor = monitor;
        this.metrics = metrics;
        this.routing = routing;
        this.sweeper = sweeper;
        this.ledger = ledger;
        this.api = api;
        this.keys = keys;
        this.usage = usage;
        this.upstream = upstream;
        this.config = config;
        this.clock = clock;
    }

    /**
     * @param secrets looks up the values of the config's {@code api_key_env} names (the process environment locally,
     *                Secrets Manager-backed environment in AWS); a tier whose key is missing fails the start
     */
    public static Gateway build(TiergateConfig config, DynamoDbClient dynamo, FleetRegistry fleet, Clock clock,
                                java.util.function.Function<String, Optional<String>> secrets) {
        return build(config, dynamo, fleet, clock, secrets,
                Telemetry.local(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "tiergate")));
    }

    public static Gateway build(TiergateConfig config, DynamoDbClient dynamo, FleetRegistry fleet, Clock clock,
                                java.util.function.Function<String, Optional<String>> secrets, Telemetry telemetry) {
        return build(config, dynamo, fleet, clock, secrets, telemetry, SettlementWriting.inline());
    }

    public static Gateway build(TiergateConfig config, DynamoDbClient dynamo, FleetRegistry fleet, Clock clock,
                                java.util.function.Function<String, Optional<String>> secrets, Telemetry telemetry,
                                SettlementWriting settlementWriting) {
        return build(config, dynamo, fleet, clock, secrets, telemetry, settlementWriting, Startup.standard());
    }

    /**
     * What a gateway may share with the rest of its process, and when its routing model loads.
     *
     * @param tokens           the token counter (its cl100k_base encoding takes 0.15-0.3 s of CPU to load)
     * @param loadRoutingModel false leaves the embedding model unloaded until {@code routing().startModelLoad()} or the
     *                         first auto-routed request
     * @param sageMaker        how SageMaker tiers are reached: AWS's own endpoints, or a stand-in
     */
    public record Startup(TokenCounter tokens, boolean loadRoutingModel, SageMakerUpstream.Access sageMaker) {
        public Startup(TokenCounter tokens, boolean loadRoutingModel) {
            this(tokens, loadRoutingModel, SageMakerUpstream.Access.fromEnvironment());
        }

        /** An own token counter, and the routing model loading in the background at once (Lambda, serve, tests). */
        public static Startup standard() {
            return new Startup(new TokenCounter(), true);
        }

        public Startup withSageMaker(SageMakerUpstream.Access access) {
            return new Startup(tokens, loadRoutingModel, access);
        }
    }

    public static Gateway build(TiergateConfig config, DynamoDbClient dynamo, FleetRegistry fleet, Clock clock,
                                java.util.function.Function<String, Optional<String>> secrets, Telemetry telemetry,
                                SettlementWriting settlementWriting, Startup startup) {
        Map<String, String> upstreamKeys = new java.util.HashMap<>();
        for (dev.tiergate.core.config.TierConfig t : config.tiers()) {
            if (t.apiKeyEnv().isEmpty()) continue;
            String name = t.apiKeyEnv().get();
            String value = secrets.apply(name).filter(v -> !v.isBlank()).orElseThrow(() -> new IllegalStateException(
                    "tier '" + t.name() + "' needs its upstream API key in " + name + ", which is not set"));
            if (t.endpoint().isEmpty()) throw new IllegalStateException("tier '" + t.name() + "' has api_key_env but no endpoint");
            java.net.URI e = t.endpoint().get();
            upstreamKeys.put(e.getHost() + ":" + e.getPort(), value);
        }
        ObjectMapper json = new ObjectMapper();
        DynamoDbEnhancedClient enhanced = DynamoDbEnhancedClient.builder().dynamoDbClient(dynamo).build();
        TableNames tables = TableNames.withPrefix(config.tablePrefix());
        KeyStore keys = new DynamoKeyStore(enhanced, dynamo, tables.keys());
        UsageLog usage = new DynamoUsageLog(enhanced, tables.usage());
        boolean anySageMaker = config.tiers().stream().anyMatch(t -> dev.tiergate.core.fleet.SageMakerEndpoint.of(config, t).isPresent());
        FleetUpstream upstream = new FleetUpstream(new HttpUpstream(Duration.ofSeconds(2), upstreamKeys, clock),
                anySageMaker ? Optional.of(new SageMakerUpstream(startup.sageMaker(), Duration.ofSeconds(2), clock)) : Optional.empty());
        Authenticator auth = new Authenticator(keys, clock, Duration.ofSeconds(config.gateway().keyCacheSeconds()));
        Routing routing = Routing.build(config, upstream, fleet, startup.loadRoutingModel());
        DynamoBudgetLedger ledger = new DynamoBudgetLedger(dynamo, tables, clock);
        DynamoBudgetStore budgets = new DynamoBudgetStore(enhanced, tables.budgets(), clock);
        var leaseSettings = dev.tiergate.core.budget.BudgetEscrow.Settings.forLongestHold(
                Duration.ofMillis(Math.max(config.gateway().requestTimeoutMs(), config.gateway().streamTimeoutMs()) + config.budgets().reservationGraceMs()));
        // In-flight slots are leased only by a process that runs between requests: a Lambda environment is frozen
        // between invocations, and the slots it kept would count as in flight while nothing runs.
        if (!(settlementWriting instanceof SettlementWriting.WriteBehind)) leaseSettings = leaseSettings.withoutSlotLeases();
        Optional<dev.tiergate.core.budget.BudgetEscrow> escrow = !config.budgets().enabled() || !config.budgets().leases() ? Optional.empty()
                : Optional.of(new dev.tiergate.core.budget.BudgetEscrow(ledger, clock, leaseSettings, dev.tiergate.core.budget.BudgetEscrow.newInstanceName()));
        BudgetGuard guard = new BudgetGuard(config, budgets, ledger, routing.router(), clock, telemetry.alerts(), usage, escrow);
        DynamoReplicaHealth health = new DynamoReplicaHealth(dynamo, tables.fleet(), clock);
        boolean recorded = config.usage().record();
        Optional<WriteBehindSettlements> writeBehind = !recorded ? Optional.empty() : switch (settlementWriting) {
            case SettlementWriting.Inline i -> Optional.empty();
            case SettlementWriting.AfterResponse a -> Optional.empty();
            case SettlementWriting.WriteBehind w -> Optional.of(new WriteBehindSettlements(guard::applyAll, w.journalDir(),
                    w.writerThreads(), w.capacity(), w.drainTimeout(), w.linger(), json));
        };
        Optional<dev.tiergate.adapters.settlement.AfterResponseSettlements> afterResponse =
                recorded && settlementWriting instanceof SettlementWriting.AfterResponse
                        ? Optional.of(new dev.tiergate.adapters.settlement.AfterResponseSettlements(guard::applyAll)) : Optional.empty();
        // usage.record: false (only with budgets off) holds nothing and keeps no record, so a settlement has nothing to
        // write; the request's tokens and cost still reach the metrics through the observers.
        SettlementQueue settlements = !recorded ? settlement -> { } : writeBehind.<SettlementQueue>map(q -> q)
                .or(() -> afterResponse.map(q -> q)).orElse(guard::apply);
        writeBehind.ifPresent(w -> telemetry.metrics().watchSettlementBacklog(w::pending));
        BreakerBoard breakers = new BreakerBoard(config.gateway().breaker(), health, clock);
        Dispatcher dispatcher = new Dispatcher(upstream, new ReplicaSelector(fleet, breakers, config.gateway().prefixAffinity()), breakers, config.gateway(), clock);
        ChatCompletions chat = ChatCompletions.builder().auth(auth).router(routing.router()).dispatcher(dispatcher)
                .config(config).guard(guard).tokens(startup.tokens()).clock(clock).json(json)
                .idempotency(new DynamoIdempotencyStore(dynamo, tables.idempotency()))
                .cache(new DynamoResponseCache(dynamo, tables.cache(), clock)).settlements(settlements)
                .semanticCache(new dev.tiergate.adapters.dynamodb.DynamoSemanticCache(dynamo, tables.semanticCache(), clock),
                        routing.embedder().orElse(dev.tiergate.core.ports.PromptEmbedder.NONE))
                .observer(RequestObserver.all(java.util.stream.Stream.concat(java.util.stream.Stream.of(telemetry.metrics()),
                        telemetry.observers().stream()).toList()))
                .tracer(telemetry.tracer()).build();
        DynamoAuditLog audit = new DynamoAuditLog(dynamo, tables.audit());
        AdminApi admin = new AdminApi(config, keys, new KeySecrets(new SecureRandom()), fleet, clock, json, audit, auth::forget);
        BudgetAdminApi budgetApi = new BudgetAdminApi(budgets, ledger, guard, keys, config.organization(), audit, clock, json,
                config.budgets().warnAt(), usage);
        UsageReportApi usageApi = new UsageReportApi(usage, keys, config.organization(), clock, json);
        DailyReportJob reports = new DailyReportJob(new DailyCostReport(config, usage, budgets, ledger, clock),
                new ReportRenderer(json), telemetry.reports(), telemetry.notifier());
        GatewayMetrics metrics = telemetry.metrics();
        GatewayApi.MetricsPage page = new GatewayApi.MetricsPage() {
            @Override
            public String contentType() {
                return GatewayMetrics.CONTENT_TYPE;
            }

            @Override
            public String text() {
                return metrics.text();
            }
        };
        GatewayApi api = new GatewayApi(chat, new ModelCatalog(config, json, clock), admin,
                new RouteApi(routing.router(), chat, json), budgetApi, usageApi, new ReportApi(reports, clock, json), page,
                auth, config.gateway(), json, settlements, recorded,
                // Every request starts with a key look-up: health is that read, under a deadline.
                new dev.tiergate.core.gateway.Liveness(() -> keys.findByHash(HEALTH_PROBE_HASH), clock,
                        Duration.ofSeconds(2), Duration.ofSeconds(1)));
        FleetMonitor monitor = new FleetMonitor(config, fleet, new HttpReplicaProbe(Duration.ofSeconds(3)), health,
                telemetry.fleetGauges(), clock, Duration.ofSeconds(90));
        return new Gateway(api, keys, auth, usage, upstream, config, clock, routing, new ReservationSweeper(ledger, clock), ledger,
                reports, monitor, metrics, telemetry.remoteWrite(), writeBehind, budgets, escrow, afterResponse);
    }

    /**
     * Makes {@code secret} the organisation admin key the operator holds, stored under a slow salted hash. The same
     * secret as stored keeps its row, revoked or not, so a revocation holds across restarts; another secret replaces
     * it, and the old one stops working.
     *
     * <p>The slow hash costs ~1.3 s of CPU where the JIT stops at C1 (up, Lambda), so unless the stored key is revoked
     * it is computed and stored in the background, and meanwhile this instance honours {@code secret}, and no other,
     * as the bootstrap key from memory. A revoked key is checked first: only the slow hash can tell whether
     * {@code secret} is the revoked one, which must stay refused.
     */
    public void installBootstrapAdmin(String secret) {
        if (secret.length() < 20) throw new IllegalArgumentException("the bootstrap admin key must be at least 20 characters");
        if (!secret.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new IllegalArgumentException("the bootstrap admin key must be visible ASCII characters, without spaces");
        }
        Optional<dev.tiergate.core.auth.BootstrapKey> current = keys.bootstrap();
        if (current.isPresent() && current.get().key().revoked()) {
            if (!current.get().verifier().matches(secret)) storeBootstrap(secret, current);
            return;
        }
        auth.honourBootstrapLocally(secret, bootstrapKey(current));
        bootstrapStored = CompletableFuture.runAsync(() -> {
            try {
                if (current.isPresent() && current.get().verifier().matches(secret)) auth.rememberBootstrap(secret, current.get().verifier());
                else storeBootstrap(secret, current);
                auth.stopHonouringBootstrapLocally();
            } catch (RuntimeException e) {
                // This instance keeps honouring the key it was given; the others cannot until it is stored.
                LOG.log(System.Logger.Level.WARNING, "could not store the bootstrap admin key: " + e.getMessage());
            }
        }, work -> Thread.ofPlatform().daemon(true).name("tiergate-bootstrap-key").start(work));
    }

    private ApiKey bootstrapKey(Optional<dev.tiergate.core.auth.BootstrapKey> replacing) {
        return new ApiKey(BOOTSTRAP_ADMIN_KEY_ID, dev.tiergate.core.auth.BootstrapKey.ROW, config.organization(), "admin", "bootstrap",
                Role.ORG_ADMIN, List.of(), clock.instant(), Optional.empty(), false, dev.tiergate.core.budget.RateLimits.NONE, List.of(),
                replacing.map(c -> c.key().version() + 1).orElse(0L));
    }

    private void storeBootstrap(String secret, Optional<dev.tiergate.core.auth.BootstrapKey> replacing) {
        dev.tiergate.core.auth.SlowHash verifier = dev.tiergate.core.auth.SlowHash.of(secret, new SecureRandom());
        java.util.OptionalLong version = replacing.map(c -> java.util.OptionalLong.of(c.key().version())).orElse(java.util.OptionalLong.empty());
        if (keys.installBootstrap(new dev.tiergate.core.auth.BootstrapKey(bootstrapKey(replacing), verifier), version)) {
            auth.rememberBootstrap(secret, verifier);
        } else {
            LOG.log(System.Logger.Level.WARNING, "the bootstrap admin key changed while this one was being stored (revoked, or "
                    + "stored by another instance first); the stored one stands");
        }
    }

    /** Returns once the bootstrap key given to {@link #installBootstrapAdmin} is stored (at once if it was already). */
    public void awaitBootstrapStored() {
        bootstrapStored.join();
    }

    /** Releases reservations of requests that died; run it on a schedule. */
    public ReservationSweeper sweeper() {
        return sweeper;
    }

    /** The daily cost report, for its schedule and for {@code POST /admin/reports/daily}. */
    public DailyReportJob reports() {
        return reports;
    }

    /** How full the fullest budget is now: what the budget alarms follow. */
    public dev.tiergate.core.budget.BudgetUtilisation budgetUtilisation() {
        return new dev.tiergate.core.budget.BudgetUtilisation(budgets, ledger,
                new dev.tiergate.core.budget.BudgetCalendar(config.budgets().timezone()), clock);
    }

    /** The fleet check, for its one-minute schedule. */
    public FleetMonitor fleetMonitor() {
        return monitor;
    }

    /** Remote-write of {@link #metrics}, when configured: on a timer locally, after each fleet check in Lambda. */
    public Optional<dev.tiergate.adapters.metrics.RemoteWritePusher> remoteWrite() {
        return remoteWrite;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public DynamoBudgetLedger ledger() {
        return ledger;
    }

    public Routing routing() {
        return routing;
    }

    public GatewayApi api() {
        return api;
    }

    public UsageLog usage() {
        return usage;
    }

    public TiergateConfig config() {
        return config;
    }

    /** Returns once every settlement of an earlier answer is written (at once when they are written inline). */
    public void awaitSettlementsWritten() {
        writeBehind.ifPresent(WriteBehindSettlements::awaitWritten);
        afterResponse.ifPresent(dev.tiergate.adapters.settlement.AfterResponseSettlements::writePending);
    }

    /** Settlements left for after the response (Lambda with its internal extension). */
    public Optional<dev.tiergate.adapters.settlement.AfterResponseSettlements> afterResponse() {
        return afterResponse;
    }

    /** This instance's budget leases, when requests are held on them. */
    public Optional<dev.tiergate.core.budget.BudgetEscrow> escrow() {
        return escrow;
    }

    /** The write-behind queue of settlements, when the gateway writes them behind the answer. */
    public Optional<WriteBehindSettlements> writeBehind() {
        return writeBehind;
    }

    /** Writes the settlements still queued (before the DynamoDB client closes), then stops the rest. */
    @Override
    public void close() {
        try {
            bootstrapStored.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception notStored) {
            LOG.log(System.Logger.Level.WARNING, "stopping before the bootstrap admin key was stored: " + notStored);
        }
        routing.close();
        writeBehind.ifPresent(WriteBehindSettlements::close);
        afterResponse.ifPresent(dev.tiergate.adapters.settlement.AfterResponseSettlements::writePending);
        // After the settlements are written, so what they spent has left the leases and the rest can go back.
        escrowKeeper.ifPresent(Thread::interrupt);
        escrow.ifPresent(dev.tiergate.core.budget.BudgetEscrow::returnAll);
        remoteWrite.ifPresent(dev.tiergate.adapters.metrics.RemoteWritePusher::close);
        upstream.close();
    }
}
