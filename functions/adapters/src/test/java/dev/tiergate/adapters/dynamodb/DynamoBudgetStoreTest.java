package dev.tiergate.adapters.dynamodb;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.budget.BudgetDecision;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.routing.ComplexityClassifier;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Budget definitions against DynamoDB Local: a request's four owners are read in one round trip. */
class DynamoBudgetStoreTest {

    private AmazonDynamoDBLocal local;
    private Counting ddb;
    private DynamoBudgetStore store;
    private final TableNames tables = TableNames.withPrefix("b");

    @BeforeEach
    void start() {
        local = DynamoDBEmbedded.create(true);
        TableSetup.createIfMissing(local.dynamoDbClient(), tables);
        ddb = new Counting(local.dynamoDbClient());
        store = new DynamoBudgetStore(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), tables.budgets(), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        local.shutdownNow();
    }

    @Test
    void allListsEveryDefinitionAcrossScanPages() {
        for (int i = 0; i < 120; i++) {
            store.put(new BudgetPolicy(new ScopeRef(Scope.USER, "u" + i), Map.of(Period.DAY, Usd.of("1.00")), BudgetPolicy.Action.REJECT, 0.8));
        }
        store.put(new BudgetPolicy(new ScopeRef(Scope.ORG, "acme"), Map.of(Period.MONTH, Usd.of("900.00")), BudgetPolicy.Action.DOWNGRADE, 0.9));
        // Small pages, so the scan is seen to follow them.
        ddb.calls.clear();
        List<BudgetPolicy> all = new DynamoBudgetStore(DynamoDbEnhancedClient.builder().dynamoDbClient(new Paging(ddb, 50)).build(),
                tables.budgets(), Clock.systemUTC()).all();
        assertThat(all).hasSize(121);
        assertThat(ddb.calls.get("Scan").get()).isEqualTo(3);
        assertThat(all).filteredOn(p -> p.owner().scope() == Scope.ORG).singleElement()
                .satisfies(p -> assertThat(p.limit(Period.MONTH)).contains(Usd.of("900.00")));
    }

    @Test
    void findAllReadsEveryOwnerInOneBatchAndLeavesOutThoseWithoutADefinition() {
        ScopeRef team = new ScopeRef(Scope.TEAM, "search");
        ScopeRef org = new ScopeRef(Scope.ORG, "acme");
        store.put(new BudgetPolicy(team, Map.of(Period.DAY, Usd.of("5.00")), BudgetPolicy.Action.REJECT, 0.8));
        store.put(new BudgetPolicy(org, Map.of(Period.MONTH, Usd.of("900.00")), BudgetPolicy.Action.DOWNGRADE, 0.9));
        ScopeRef key = new ScopeRef(Scope.KEY, "key_1");
        ScopeRef user = new ScopeRef(Scope.USER, "ana");
        ddb.calls.clear();

        Map<ScopeRef, BudgetPolicy> found = store.findAll(List.of(key, user, team, org, team));

        assertThat(found).containsOnlyKeys(team, org);
        assertThat(found.get(team).limit(Period.DAY)).contains(Usd.of("5.00"));
        assertThat(found.get(org).action()).isEqualTo(BudgetPolicy.Action.DOWNGRADE);
        assertThat(found.get(org)).isEqualTo(store.find(org).orElseThrow());
        assertThat(ddb.calls.get("BatchGetItem").get()).isEqualTo(1);
        assertThat(ddb.calls.get("GetItem").get()).as("the find(org) above only").isEqualTo(1);
        assertThat(store.findAll(List.of())).isEmpty();
        assertThat(ddb.calls.get("BatchGetItem").get()).as("nothing to read, no call").isEqualTo(1);
    }

    @Test
    void aRequestReadsItsFourOwnersDefinitionsInOneRoundTripThenFromTheCache() throws Exception {
        TiergateConfig cfg = ConfigLoader.parse("""
                budgets: {cache_seconds: 60}
                routing: {embedding: {enabled: false}}
                tiers:
                  - {name: a, model: m, context_window: 8192, prices_per_million: {input: 1, output: 2}, endpoint: http://127.0.0.1:1}
                  - {name: b, model: m2, context_window: 8192, prices_per_million: {input: 2, output: 4}, endpoint: http://127.0.0.1:1}
                """, "t.yaml");
        BudgetGuard guard = new BudgetGuard(cfg, store, new DynamoBudgetLedger(ddb, tables),
                new TierRouter(cfg, new ComplexityClassifier(cfg.routing(), new HeuristicScorer(), dev.tiergate.core.routing.RouterModelFile.shipped(), Optional.empty(), Optional.empty())),
                Clock.systemUTC(), (row, committed, limit) -> { },
                new DynamoUsageLog(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), tables.usage()));
        // A per-request cap on the user: the decision depends on the definition the batch read.
        store.put(new BudgetPolicy(new ScopeRef(Scope.USER, "ana"), Map.of(Period.REQUEST, Usd.of("0.000001")),
                BudgetPolicy.Action.REJECT, 0.8));
        ApiKey key = new ApiKey("key_1", "h", "acme", "search", "ana", Role.USER, List.of(), Instant.now(), Optional.empty(), false);
        RoutingRequest request = new RoutingRequest("a", "hi", 10, Optional.of(200), RouteConstraints.NONE, List.of(), List.of(),
                "search", "ana", Optional.empty());
        ddb.calls.clear();

        BudgetDecision first = guard.decide(key, request, guardRoute(cfg, request), "req-1", Instant.now().plusSeconds(30));
        BudgetDecision second = guard.decide(key, request, guardRoute(cfg, request), "req-2", Instant.now().plusSeconds(30));

        assertThat(first).isInstanceOf(BudgetDecision.Reject.class);
        assertThat(second).isInstanceOf(BudgetDecision.Reject.class);
        assertThat(ddb.calls.get("BatchGetItem").get()).isEqualTo(1);
        assertThat(ddb.calls).doesNotContainKey("GetItem");
    }

    private static dev.tiergate.core.routing.RouteDecision guardRoute(TiergateConfig cfg, RoutingRequest r) {
        return new TierRouter(cfg, new ComplexityClassifier(cfg.routing(), new HeuristicScorer(), dev.tiergate.core.routing.RouterModelFile.shipped(), Optional.empty(), Optional.empty())).route(r);
    }

    /** DynamoDB Local's own client, counting the calls that reach it by operation. */
    private static final class Counting implements DynamoDbClient {
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        private final DynamoDbClient real;

        Counting(DynamoDbClient real) {
            this.real = real;
        }

        /** Counts the call under its operation's name, then lets it through to DynamoDB Local. */
        private <T> T counted(String op, java.util.function.Supplier<T> call) {
            calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
            return call.get();
        }

        @Override
        public GetItemResponse getItem(GetItemRequest r) {
            return counted("GetItem", () -> real.getItem(r));
        }

        @Override
        public BatchGetItemResponse batchGetItem(BatchGetItemRequest r) {
            return counted("BatchGetItem", () -> real.batchGetItem(r));
        }

        @Override
        public software.amazon.awssdk.services.dynamodb.model.ScanResponse scan(software.amazon.awssdk.services.dynamodb.model.ScanRequest r) {
            return counted("Scan", () -> real.scan(r));
        }

        @Override
        public software.amazon.awssdk.services.dynamodb.model.PutItemResponse putItem(software.amazon.awssdk.services.dynamodb.model.PutItemRequest r) {
            return counted("PutItem", () -> real.putItem(r));
        }

        @Override
        public TransactWriteItemsResponse transactWriteItems(TransactWriteItemsRequest r) {
            return counted("TransactWriteItems", () -> real.transactWriteItems(r));
        }

        @Override
        public String serviceName() {
            return real.serviceName();
        }

        @Override
        public void close() {
            // DynamoDB Local's client is closed with it
        }
    }

    /** Scans in pages of at most {@code limit} items, as DynamoDB does past 1 MB. */
    private static final class Paging implements DynamoDbClient {
        private final DynamoDbClient real;
        private final int limit;

        Paging(DynamoDbClient real, int limit) {
            this.real = real;
            this.limit = limit;
        }

        @Override
        public software.amazon.awssdk.services.dynamodb.model.ScanResponse scan(software.amazon.awssdk.services.dynamodb.model.ScanRequest r) {
            return real.scan(r.toBuilder().limit(limit).build());
        }

        @Override
        public String serviceName() {
            return real.serviceName();
        }

        @Override
        public void close() {
        }
    }
}
