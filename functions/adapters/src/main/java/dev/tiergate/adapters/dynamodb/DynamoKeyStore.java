package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.ports.KeyStore;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.model.ScanEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;

/** API keys in DynamoDB, by the hash of their secret. Reads are strongly consistent so a new key works at once. */
public final class DynamoKeyStore implements KeyStore {

    private final DynamoDbTable<KeyItem> table;
    private final DynamoDbClient ddb;
    private final String tableName;

    public DynamoKeyStore(DynamoDbEnhancedClient client, DynamoDbClient ddb, String tableName) {
        this.table = client.table(tableName, KeyItem.SCHEMA);
        this.ddb = ddb;
        this.tableName = tableName;
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

    /** Admin look-ups scan the table: they are rare, and the request path reads by hash only. */
    @Override
    public Optional<ApiKey> findById(String id) {
        return table.scan(ScanEnhancedRequest.builder().consistentRead(true)
                        .filterExpression(Expression.builder().expression("#i = :id").putExpressionName("#i", "id")
                                .putExpressionValue(":id", AttributeValue.fromS(id)).build()).build())
                .items().stream().findFirst().map(KeyItem::toKey);
    }

    @Override
    public List<ApiKey> list(Optional<String> team) {
        ScanEnhancedRequest.Builder b = ScanEnhancedRequest.builder().consistentRead(true);
        team.ifPresent(t -> b.filterExpression(Expression.builder().expression("#t = :t").putExpressionName("#t", "team")
                .putExpressionValue(":t", AttributeValue.fromS(t)).build()));
        List<ApiKey> out = new ArrayList<>();
        table.scan(b.build()).items().forEach(i -> out.add(i.toKey()));
        out.sort(java.util.Comparator.comparing(ApiKey::createdAt));
        return out;
    }

    @Override
    public void rotate(ApiKey old, ApiKey rotated) {
        ddb.transactWriteItems(TransactWriteItemsRequest.builder().transactItems(
                TransactWriteItem.builder().delete(Delete.builder().tableName(tableName)
                        .key(Map.of("hash", AttributeValue.fromS(old.secretHash())))
                        .conditionExpression("attribute_exists(#h)").expressionAttributeNames(Map.of("#h", "hash")).build()).build(),
                TransactWriteItem.builder().put(Put.builder().tableName(tableName).item(KeyItem.SCHEMA.itemToMap(KeyItem.from(rotated), true))
                        .conditionExpression("attribute_not_exists(#h)").expressionAttributeNames(Map.of("#h", "hash")).build()).build()).build());
    }
}
