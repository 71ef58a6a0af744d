package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.IdempotencyStore;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

import java.time.Instant;
import java.util.Map;

/**
 * Idempotency keys in DynamoDB: a conditional put claims the key (only the first request wins), the answer is stored
 * when it is done, and the item expires by TTL. Answers larger than DynamoDB's item limit are not kept: a retry of
 * such a request gets 409 rather than a second charge.
 */
public final class DynamoIdempotencyStore implements IdempotencyStore {

    private static final int MAX_BODY = 350 * 1024;

    private final DynamoDbClient ddb;
    private final String table;

    public DynamoIdempotencyStore(DynamoDbClient ddb, String table) {
        this.ddb = ddb;
        this.table = table;
    }

    private static Map<String, AttributeValue> key(String keyId, String idem) {
        return Map.of("request_id", AttributeValue.fromS("idem#" + keyId + "#" + idem));
    }

    @Override
    public Begin begin(String keyId, String idem, String hash, Instant expiresAt) {
        Map<String, AttributeValue> item = new java.util.HashMap<>(key(keyId, idem));
        item.put("hash", AttributeValue.fromS(hash));
        item.put("state", AttributeValue.fromS("started"));
        item.put("expires_at", AttributeValue.fromN(Long.toString(expiresAt.getEpochSecond())));
        try {
            ddb.putItem(b -> b.tableName(table).item(item).conditionExpression("attribute_not_exists(request_id)"));
            return new Started();
        } catch (ConditionalCheckFailedException taken) {
            Map<String, AttributeValue> existing = ddb.getItem(b -> b.tableName(table).key(key(keyId, idem)).consistentRead(true)).item();
            if (existing == null || existing.isEmpty()) return begin(keyId, idem, hash, expiresAt);
            if (!hash.equals(existing.get("hash").s())) return new Mismatch();
            if (!"done".equals(existing.get("state").s()) || !existing.containsKey("body")) return new InProgress();
            return new Replay(Integer.parseInt(existing.get("status").n()), existing.get("content_type").s(),
                    existing.get("body").b().asByteArray());
        }
    }

    @Override
    public void complete(String keyId, String idem, int status, String contentType, byte[] body) {
        if (body.length > MAX_BODY) {
            ddb.updateItem(b -> b.tableName(table).key(key(keyId, idem)).updateExpression("SET #s = :s")
                    .expressionAttributeNames(Map.of("#s", "state")).expressionAttributeValues(Map.of(":s", AttributeValue.fromS("done_unstored"))));
            return;
        }
        ddb.updateItem(b -> b.tableName(table).key(key(keyId, idem))
                .updateExpression("SET #s = :s, #st = :st, content_type = :ct, body = :b")
                .expressionAttributeNames(Map.of("#s", "state", "#st", "status"))
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromS("done"), ":st", AttributeValue.fromN(Integer.toString(status)),
                        ":ct", AttributeValue.fromS(contentType), ":b", AttributeValue.fromB(SdkBytes.fromByteArray(body)))));
    }

    @Override
    public void abandon(String keyId, String idem) {
        ddb.deleteItem(b -> b.tableName(table).key(key(keyId, idem)));
    }
}
