package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.BudgetStore;
import dev.tiergate.core.budget.ScopeRef;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.ReadBatch;

import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Budget definitions in DynamoDB, one item per scope. */
public final class DynamoBudgetStore implements BudgetStore {

    private final DynamoDbEnhancedClient client;
    private final DynamoDbTable<BudgetItem> table;
    private final Clock clock;

    public DynamoBudgetStore(DynamoDbEnhancedClient client, String tableName, Clock clock) {
        this.client = client;
        this.table = client.table(tableName, BudgetItem.SCHEMA);
        this.clock = clock;
    }

    @Override
    public Optional<BudgetPolicy> find(ScopeRef owner) {
        BudgetItem item = table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(owner.key()).build()).consistentRead(true).build());
        return Optional.ofNullable(item).map(BudgetItem::toPolicy);
    }

    /**
     * One BatchGetItem, strongly consistent like {@link #find}; the enhanced client asks again for any keys DynamoDB
     * leaves unprocessed.
     */
    @Override
    public Map<ScopeRef, BudgetPolicy> findAll(List<ScopeRef> owners) {
        Map<String, ScopeRef> byKey = new LinkedHashMap<>();
        for (ScopeRef o : owners) byKey.put(o.key(), o); // a batch refuses the same key twice
        if (byKey.isEmpty()) return Map.of();
        ReadBatch.Builder<BudgetItem> batch = ReadBatch.builder(BudgetItem.class).mappedTableResource(table);
        for (String key : byKey.keySet()) {
            batch.addGetItem(GetItemEnhancedRequest.builder().key(Key.builder().partitionValue(key).build()).consistentRead(true).build());
        }
        Map<ScopeRef, BudgetPolicy> found = new HashMap<>();
        client.batchGetItem(r -> r.readBatches(batch.build())).resultsForTable(table)
                .forEach(item -> found.put(byKey.get(item.owner()), item.toPolicy()));
        return found;
    }

    /** A scan, page by page: the budgets table holds one row per owner with a budget. */
    @Override
    public List<BudgetPolicy> all() {
        return table.scan().items().stream().map(BudgetItem::toPolicy).toList();
    }

    @Override
    public void put(BudgetPolicy policy) {
        table.putItem(BudgetItem.from(policy, clock.instant().toString()));
    }
}
