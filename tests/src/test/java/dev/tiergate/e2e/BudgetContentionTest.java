package dev.tiergate.e2e;

import dev.tiergate.adapters.dynamodb.DynamoBudgetLedger;
import dev.tiergate.adapters.dynamodb.DynamoUsageLog;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.core.budget.BudgetEscrow;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.local.LocalDynamo;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Contention as DynamoDB really behaves, which DynamoDB Local (one transaction at a time) never shows: an SDK
 * interceptor cancels a share of transactions with the real {@code TransactionCanceledException} and its
 * {@code TransactionConflict} reason, and a share of conditional writes with {@code TransactionConflictException},
 * before they reach the table. Three instances' leases, per-request reservations and batched settlements still
 * converge, with nothing counted twice or lost.
 */
class BudgetContentionTest {

    /** Cancels about a third of the transactions and conditional updates, as concurrent transactions on a hot row would. */
    static final class Conflicts implements ExecutionInterceptor {
        private final SplittableRandom random = new SplittableRandom(11);
        final AtomicInteger injected = new AtomicInteger();

        private synchronized boolean unlucky() {
            return random.nextDouble() < 0.33;
        }

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof TransactWriteItemsRequest t && unlucky()) {
                injected.incrementAndGet();
                List<CancellationReason> reasons = new ArrayList<>();
                for (int i = 0; i < t.transactItems().size(); i++) {
                    reasons.add(CancellationReason.builder().code(i == t.transactItems().size() - 1 ? "TransactionConflict" : "None")
                            .message(i == t.transactItems().size() - 1 ? "Transaction is ongoing for the item" : null).build());
                }
                throw TransactionCanceledException.builder().message("Transaction cancelled, please refer cancellation reasons for specific reasons")
                        .cancellationReasons(reasons).build();
            }
            if (context.request() instanceof UpdateItemRequest u && u.conditionExpression() != null && unlucky()) {
                injected.incrementAndGet();
                throw TransactionConflictException.builder().message("Transaction is ongoing for the item").build();
            }
        }
    }

    private static final ScopeRef TEAM = new ScopeRef(Scope.TEAM, "hot");
    private static final String DAY = "day#2026-12-07";

    @Test
    void cancelledTransactionsAndConflictingLeaseWritesConvergeWithNothingCountedTwice() throws Exception {
        Conflicts conflicts = new Conflicts();
        try (LocalDynamo dynamo = LocalDynamo.start(0, null);
             DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint(), List.of(conflicts))) {
            TableNames tables = TableNames.withPrefix("tiergate");
            TableSetup.createIfMissing(ddb, tables);
            DynamoBudgetLedger ledger = new DynamoBudgetLedger(ddb, tables, Clock.systemUTC());
            LedgerRow row = new LedgerRow(TEAM, Period.DAY, DAY, Optional.of(Usd.of("0.3")), Instant.parse("2026-12-08T00:00:00Z"));
            BudgetEscrow.Settings settings = BudgetEscrow.Settings.forLongestHold(Duration.ofSeconds(30));
            List<BudgetEscrow> instances = List.of(new BudgetEscrow(ledger, Clock.systemUTC(), settings, "a"),
                    new BudgetEscrow(ledger, Clock.systemUTC(), settings, "b"), new BudgetEscrow(ledger, Clock.systemUTC(), settings, "c"));
            AtomicInteger ids = new AtomicInteger();
            List<Future<Integer>> served = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
                for (BudgetEscrow escrow : instances) {
                    served.add(pool.submit(() -> {
                        int n = 0;
                        List<Settlement> batch = new ArrayList<>();
                        for (int i = 0; i < 150; i++) {
                            Reservation r = new Reservation("c" + ids.incrementAndGet(), Usd.of("0.002"), List.of(row), Instant.now().plusSeconds(30));
                            Optional<Reservation> held = escrow.hold(r);
                            if (held.isEmpty() && ledger.reserve(r) instanceof BudgetLedger.Held h) held = Optional.of(h.reservation());
                            if (held.isEmpty()) continue;
                            n++;
                            // Settles at half its worst case, in batches of 10 as the write-behind queue does.
                            batch.add(new Settlement.Settle(held.get(), usage(held.get().requestId(), "0.001")));
                            if (batch.size() == 10) n -= flush(ledger, escrow, batch);
                            if (i % 25 == 0) escrow.maintain();
                        }
                        n -= flush(ledger, escrow, batch);
                        return n;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : served) total += f.get();
                instances.forEach(BudgetEscrow::returnAll);

                assertThat(conflicts.injected.get()).isGreaterThan(20);
                List<UsageRecord> records = new DynamoUsageLog(DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build(), tables.usage())
                        .forTeamDay("hot", LocalDate.of(2026, 12, 7));
                BigDecimal usage = records.stream().map(u -> u.cost().amount()).reduce(BigDecimal.ZERO, BigDecimal::add);
                assertThat(records).hasSize(total);
                Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(tables.ledger()).consistentRead(true)
                        .key(Map.of("owner", AttributeValue.fromS(TEAM.key()), "period", AttributeValue.fromS(DAY)))).item();
                assertThat(new BigDecimal(item.get("spent").n())).isEqualByComparingTo(usage);
                assertThat(new BigDecimal(item.get("committed").n())).isEqualByComparingTo(usage);
                assertThat(new BigDecimal(item.get("leased").n())).isEqualByComparingTo(BigDecimal.ZERO);
                assertThat(usage).isLessThanOrEqualTo(new BigDecimal("0.3"));
                // 450 asked for $0.002 each against $0.3: at half that actually spent, most of what fits is served.
                assertThat(total).isGreaterThanOrEqualTo(150);
            }
        }
    }

    /** Writes a batch of settlements as the write-behind queue does (retrying a failed write); returns how many failed for good. */
    private static int flush(DynamoBudgetLedger ledger, BudgetEscrow escrow, List<Settlement> batch) {
        if (batch.isEmpty()) return 0;
        for (int attempt = 1; ; attempt++) {
            try {
                ledger.finishAll(batch);
                break;
            } catch (RuntimeException e) {
                if (attempt == 5) throw e;
            }
        }
        for (Settlement s : batch) escrow.finished(((Settlement.Settle) s).reservation(), s.usage().cost());
        batch.clear();
        return 0;
    }

    private static UsageRecord usage(String id, String cost) {
        return new UsageRecord(id, Instant.parse("2026-12-07T12:00:00Z"), "k", "acme", "hot", "u", "small", "m", new TokenUsage(0, 100, 0),
                Usd.of(cost), 1, 200, Outcome.OK, false, UsageSource.UPSTREAM, "");
    }
}
