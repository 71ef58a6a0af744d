package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.AuditLog;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Admin actions in DynamoDB, partitioned by UTC day ({@code audit#yyyy-mm-dd}) and sorted by time. */
public final class DynamoAuditLog implements AuditLog {

    private final DynamoDbClient ddb;
    private final String table;

    public DynamoAuditLog(DynamoDbClient ddb, String table) {
        this.ddb = ddb;
        this.table = table;
    }

    @Override
    public void record(Entry e) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("pk", AttributeValue.fromS("audit#" + e.at().atOffset(ZoneOffset.UTC).toLocalDate()));
        item.put("sk", AttributeValue.fromS(e.at() + "#" + UUID.randomUUID()));
        item.put("at", AttributeValue.fromS(e.at().toString()));
        item.put("actor_key_id", AttributeValue.fromS(e.actorKeyId()));
        item.put("actor_role", AttributeValue.fromS(e.actorRole()));
        item.put("action", AttributeValue.fromS(e.action()));
        item.put("target", AttributeValue.fromS(e.target()));
        e.before().ifPresent(b -> item.put("before", AttributeValue.fromS(b.toString())));
        e.after().ifPresent(a -> item.put("after", AttributeValue.fromS(a.toString())));
        ddb.putItem(b -> b.tableName(table).item(item));
    }
}
