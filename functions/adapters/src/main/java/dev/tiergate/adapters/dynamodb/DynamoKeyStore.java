package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.ports.KeyStore;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;

import java.util.Optional;

/** API keys in DynamoDB, by the hash of their secret. Reads are strongly consistent so a new key works at once. */
public final class DynamoKeyStore implements KeyStore {

    private final DynamoDbTable<KeyItem> table;

    public DynamoKeyStore(DynamoDbEnhancedClient client, String tableName) {
        this.table = client.table(tableName, KeyItem.SCHEMA);
    }

    @Override
    public Optional<ApiKey> findByHash(String secretHash) {
        KeyItem item = table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(secretHash).build()).consistentRead(true).build());
        return Optional.ofNullable(item).map(KeyItem::toKey);
    }

    @Override
    public void create(ApiKey key) {
        table.putItem(PutItemEnhancedRequest.builder(KeyItem.class).item(KeyItem.from(key))
                .conditionExpression(Expression.builder().expression("attribute_not_exists(#h)")
                        .putExpressionName("#h", "hash").build())
                .build());
    }

    @Override
    public void put(ApiKey key) {
        table.putItem(KeyItem.from(key));
    }
}
