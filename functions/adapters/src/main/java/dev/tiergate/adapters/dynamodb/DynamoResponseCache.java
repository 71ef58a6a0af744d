package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.ResponseCache;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Cached answers in DynamoDB. The partition key starts with the team, and a read checks the stored team too, so one
 * team's answer can never be served to another. Expiry is checked on read (DynamoDB's TTL deletes lazily).
 * Answers over 350 KB are not cached (DynamoDB's item limit is 400 KB).
 */
public final class DynamoResponseCache implements ResponseCache {

    private static final int MAX_BODY = 350 * 1024;

    private final DynamoDbClient ddb;
    private final String table;
    private final Clock clock;

    public DynamoResponseCache(DynamoDbClient ddb, String table, Clock clock) {
        this.ddb = ddb;
        this.table = table;
        this.clock = clock;
    }

    private static Map<String, AttributeValue> key(String team, String key) {
        return Map.of("cache_key", AttributeValue.fromS("team#" + team + "#" + key));
    }

    @Override
    public Optional<byte[]> find(String team, String key, boolean allowStale) {
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(table).key(key(team, key))).item();
        if (item == null || item.isEmpty()) return Optional.empty();
        if (!team.equals(item.get("team").s())) return Optional.empty();
        if (!allowStale && Long.parseLong(item.get("expires_at").n()) <= clock.instant().getEpochSecond()) return Optional.empty();
        return Optional.of(item.get("body").b().asByteArray());
    }

    @Override
    public void put(String team, String key, String tier, byte[] completionJson, Duration ttl) {
        if (completionJson.length > MAX_BODY) return;
        Map<String, AttributeValue> item = new java.util.HashMap<>(key(team, key));
        item.put("team", AttributeValue.fromS(team));
        item.put("tier", AttributeValue.fromS(tier));
        item.put("body", AttributeValue.fromB(SdkBytes.fromByteArray(completionJson)));
        item.put("expires_at", AttributeValue.fromN(Long.toString(clock.instant().plus(ttl).getEpochSecond())));
        ddb.putItem(b -> b.tableName(table).item(item));
    }
}
