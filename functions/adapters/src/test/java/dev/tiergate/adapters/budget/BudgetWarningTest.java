package dev.tiergate.adapters.budget;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.adapters.dynamodb.DynamoBudgetLedger;
import dev.tiergate.adapters.dynamodb.DynamoBudgetStore;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
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
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.routing.ComplexityClassifier;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.UsageRecord;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The warning threshold emits one event per scope and period, not one per request after it. */
class BudgetWarningTest {

    @Test
    void warnsOnceWhenAScopeCrossesItsThreshold() throws Exception {
        AmazonDynamoDBLocal local = DynamoDBEmbedded.create(true);
        try {
            DynamoDbClient ddb = local.dynamoDbClient();
            TableNames tables = TableNames.withPrefix("w");
            TableSetup.createIfMissing(ddb, tables);
            TiergateConfig cfg = ConfigLoader.parse("""
                    budgets: {cache_seconds: 0}
                    routing: {embedding: {enabled: false}}
                    tiers:
                      - {name: a, model: m, context_window: 8192, prices_per_million: {input: 0, output: 10}, endpoint: http://127.0.0.1:1}
                      - {name: b, model: m2, context_window: 8192, prices_per_million: {input: 0, output: 20}, endpoint: http://127.0.0.1:1}
                    """, "t.yaml");
            Clock clock = Clock.systemUTC();
            DynamoBudgetLedger ledger = new DynamoBudgetLedger(ddb, tables);
            DynamoBudgetStore store = new DynamoBudgetStore(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), tables.budgets(), clock);
            TierRouter router = new TierRouter(cfg, new ComplexityClassifier(cfg.routing(), new HeuristicScorer(), dev.tiergate.core.routing.RouterModelFile.shipped(), Optional.empty(), Optional.empty()));
            List<String> warnings = new CopyOnWriteArrayList<>();
            BudgetGuard guard = new BudgetGuard(cfg, store, ledger, router, clock,
                    (row, committed, limit) -> warnings.add(row.owner() + " " + row.period().wire() + " " + committed.plain()),
                    new dev.tiergate.adapters.dynamodb.DynamoUsageLog(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), tables.usage()));
            store.put(new BudgetPolicy(new ScopeRef(Scope.TEAM, "t"), Map.of(Period.DAY, Usd.of("0.01")), BudgetPolicy.Action.REJECT, 0.5));
            ApiKey key = new ApiKey("key_1", "h", "default", "t", "u", Role.USER, List.of(), Instant.now(), Optional.empty(), false);

            for (int i = 0; i < 4; i++) {
                RoutingRequest rr = new RoutingRequest("a", "hi", 10, Optional.of(200), RouteConstraints.NONE, List.of(), List.of(), "t", "u", Optional.empty());
                RouteDecision route = router.route(rr);
                BudgetDecision.Allow allow = (BudgetDecision.Allow) guard.decide(key, rr, route, "req-" + i, Instant.now().plusSeconds(30));
                // $0.002 each: 0.002, 0.004, 0.006 (crosses 50% of $0.01), 0.008
                guard.settle(allow.reservation(), new UsageRecord("req-" + i, Instant.now(), "key_1", "default", "t", "u", "a", "m",
                        new TokenUsage(10, 200, 0), new Usd(new java.math.BigDecimal("0.002")), 5, 200, dev.tiergate.core.usage.Outcome.OK, false, dev.tiergate.core.usage.UsageSource.UPSTREAM, ""));
                Thread.sleep(150); // the check runs off the request path
            }
            // Checks run at most once a second per row; a crossing inside the window is checked when it ends.
            long until = System.nanoTime() + 5_000_000_000L;
            while (warnings.isEmpty() && System.nanoTime() < until) Thread.sleep(20);
            Thread.sleep(1500);
            assertThat(warnings).hasSize(1);
            assertThat(warnings.getFirst()).startsWith("team 't' day ");
            assertThat(new java.math.BigDecimal(warnings.getFirst().substring("team 't' day ".length()))).isGreaterThanOrEqualTo(new java.math.BigDecimal("0.005"));
        } finally {
            local.shutdownNow();
        }
    }
}
