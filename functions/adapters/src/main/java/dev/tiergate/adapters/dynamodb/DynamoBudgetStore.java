package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.BudgetStore;
import dev.tiergate.core.budget.ScopeRef;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;

import java.time.Clock;
import java.util.Optional;

/** Budget definitions in DynamoDB, one item per scope. */
public final class DynamoBudgetStore implements BudgetStore {

    private final DynamoDbTable<BudgetItem> table;
    private final Clock clock;

    public DynamoBudgetStore(DynamoDbEnhancedClient client, String tableName, Clock clock) {
        this.table = client.table(tableName, BudgetItem.SCHEMA);
        this.clock = clock;
    }

    @Override
    public Optional<BudgetPolicy> find(ScopeRef owner) {
        BudgetItem item = table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(owner.key()).build()).consistentRead(true).build());
        return Optional.ofNullable(item).map(BudgetItem::toPolicy);
    }

    @Override
    public void put(BudgetPolicy policy) {
        table.putItem(BudgetItem.from(policy, clock.instant().toString()));
    }
}
