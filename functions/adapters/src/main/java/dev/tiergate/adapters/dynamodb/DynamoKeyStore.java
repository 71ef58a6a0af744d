package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.BootstrapKey;
import dev.tiergate.core.auth.SlowHash;
import dev.tiergate.core.ports.KeyStore;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.ScanEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * API keys in DynamoDB, by the hash of their secret. Reads are strongly consistent so a new key works at once. Every
 * change after creation is conditional on the version read, so two admins changing one key at once cannot both win.
 */
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
        return item(secretHash).map(KeyItem::toKey);
    }

    private Optional<KeyItem> item(String hash) {
        return Optional.ofNullable(table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(hash).build()).consistentRead(true).build()));
    }

    @Override
    public void create(ApiKey key) {
        table.putItem(PutItemEnhancedRequest.builder(KeyItem.class).item(KeyItem.from(key))
                .conditionExpression(Expression.builder().expression("attribute_not_exists(#h)")
                        .putExpressionName("#h", "hash").build())
                .build());
    }

    /** Admin look-ups scan the table: they are rare, and the request path reads by hash only. */
    @Override
    public Optional<ApiKey> findById(String id) {
        return byId(id).stream().findFirst().map(KeyItem::toKey);
    }

    private List<KeyItem> byId(String id) {
        return table.scan(ScanEnhancedRequest.builder().consistentRead(true)
                        .filterExpression(Expression.builder().expression("#i = :id").putExpressionName("#i", "id")
                                .putExpressionValue(":id", AttributeValue.fromS(id)).build()).build())
                .items().stream().toList();
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
    public boolean replace(ApiKey asRead, ApiKey changed) {
        ApiKey next = changed.nextVersion();
        Map<String, String> names = new HashMap<>(Map.of("#h", "hash", "#v", "version"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":v", AttributeValue.fromN(Long.toString(asRead.version()))));
        // Rows written before keys had versions have none: they are version 0.
        String sameVersion = "attribute_exists(#h) AND " + (asRead.version() == 0 ? "(attribute_not_exists(#v) OR #v = :v)" : "#v = :v");
        try {
            if (asRead.secretHash().equals(next.secretHash())) {
                // Same row: only what a change may change, so the bootstrap key's verifier stays.
                names.put("#r", "revoked");
                values.put(":r", AttributeValue.fromBool(next.revoked()));
                values.put(":n", AttributeValue.fromN(Long.toString(next.version())));
                ddb.updateItem(UpdateItemRequest.builder().tableName(tableName)
                        .key(Map.of("hash", AttributeValue.fromS(asRead.secretHash())))
                        .updateExpression("SET #r = :r, #v = :n").conditionExpression(sameVersion)
                        .expressionAttributeNames(names).expressionAttributeValues(values).build());
            } else {
                ddb.transactWriteItems(TransactWriteItemsRequest.builder().transactItems(
                        TransactWriteItem.builder().delete(Delete.builder().tableName(tableName)
                                .key(Map.of("hash", AttributeValue.fromS(asRead.secretHash())))
                                .conditionExpression(sameVersion).expressionAttributeNames(names)
                                .expressionAttributeValues(values).build()).build(),
                        TransactWriteItem.builder().put(Put.builder().tableName(tableName).item(KeyItem.SCHEMA.itemToMap(KeyItem.from(next), true))
                                .conditionExpression("attribute_not_exists(#h)").expressionAttributeNames(Map.of("#h", "hash")).build()).build()).build());
            }
            return true;
        } catch (ConditionalCheckFailedException | TransactionCanceledException lost) {
            // Another change came first (a condition failed, or DynamoDB cancelled the transaction on a conflict).
            return false;
        }
    }

    @Override
    public Optional<BootstrapKey> bootstrap() {
        return item(BootstrapKey.ROW).filter(i -> i.verifier() != null)
                .map(i -> new BootstrapKey(i.toKey(), new SlowHash(i.verifier())));
    }

    @Override
    public boolean installBootstrap(BootstrapKey key, java.util.OptionalLong replacing) {
        Expression.Builder condition = Expression.builder();
        if (replacing.isEmpty()) {
            condition.putExpressionName("#h", "hash").expression("attribute_not_exists(#h)");
        } else {
            condition.putExpressionName("#v", "version").putExpressionValue(":v", AttributeValue.fromN(Long.toString(replacing.getAsLong())))
                    .expression(replacing.getAsLong() == 0 ? "attribute_not_exists(#v) OR #v = :v" : "#v = :v");
        }
        try {
            table.putItem(PutItemEnhancedRequest.builder(KeyItem.class).item(KeyItem.from(key.key(), key.verifier().encoded()))
                    .conditionExpression(condition.build()).build());
        } catch (ConditionalCheckFailedException changed) {
            return false;
        }
        for (KeyItem old : byId(BootstrapKey.ID)) {
            if (!old.hash().equals(BootstrapKey.ROW)) table.deleteItem(Key.builder().partitionValue(old.hash()).build());
        }
        return true;
    }
}
