package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.SemanticCacheStore;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The semantic cache in one DynamoDB table ({@code pk}, {@code sk}, TTL on {@code expires_at}), three kinds of item:
 * <ul>
 *   <li>an index item per entry and bucket: {@code pk = team#T#SCOPE#BUCKET}, {@code sk = millis#id}, holding the
 *       prompt and its embedding as signed bytes (384 bytes; cosine needs no more precision), so a lookup is one
 *       {@code Query} per bucket, newest first, one page of at most {@link #PAGE} items;</li>
 *   <li>the answer, once per entry: {@code pk = team#T#answer#ID}, read with one {@code GetItem} on a hit;</li>
 *   <li>a counter per team and TTL window: {@code pk = team#T#count}, {@code sk = window}. Entries live one TTL, so
 *       at most two windows' entries are alive at once; each window admits half the team's bound.</li>
 * </ul>
 * Every key starts with the team, and every read checks the stored team too. Expiry is checked on read.
 */
public final class DynamoSemanticCache implements SemanticCacheStore, AutoCloseable {

    /** Candidates read per bucket: a lookup's cost and time stay bounded however many entries a scope holds. */
    static final int PAGE = 64;
    /** DynamoDB's item limit is 400 KB; an answer above this is not kept. */
    private static final int MAX_ANSWER = 350 * 1024;

    private final DynamoDbClient ddb;
    private final String table;
    private final Clock clock;
    private final ExecutorService queries = Executors.newVirtualThreadPerTaskExecutor();

    public DynamoSemanticCache(DynamoDbClient ddb, String table, Clock clock) {
        this.ddb = ddb;
        this.table = table;
        this.clock = clock;
    }

    @Override
    public List<Entry> candidates(String team, String scope, List<String> buckets) {
        // One Query per bucket, all at once: a lookup takes as long as the slowest, not their sum.
        List<CompletableFuture<List<Map<String, AttributeValue>>>> pages = buckets.stream()
                .map(b -> CompletableFuture.supplyAsync(() -> page(teamKey(team, scope + "#" + b)), queries)).toList();
        long now = clock.instant().getEpochSecond();
        Map<String, Entry> byId = new LinkedHashMap<>();
        for (CompletableFuture<List<Map<String, AttributeValue>>> page : pages) {
            for (Map<String, AttributeValue> item : page.join()) {
                if (!team.equals(item.get("team").s()) || Long.parseLong(item.get("expires_at").n()) <= now) continue;
                String id = item.get("entry").s();
                byId.putIfAbsent(id, new Entry(id, item.get("prompt").s(), decoded(item.get("vector").b().asByteArray())));
            }
        }
        return List.copyOf(byId.values());
    }

    private List<Map<String, AttributeValue>> page(String key) {
        return ddb.query(q -> q.tableName(table).keyConditionExpression("pk = :pk")
                .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(key)))
                .projectionExpression("team, entry, prompt, vector, expires_at")
                .scanIndexForward(false).limit(PAGE)).items();
    }

    @Override
    public Optional<byte[]> answer(String team, String entryId) {
        Map<String, AttributeValue> item = ddb.getItem(g -> g.tableName(table).key(Map.of(
                "pk", AttributeValue.fromS(teamKey(team, "answer#" + entryId)), "sk", AttributeValue.fromS("answer")))).item();
        if (item == null || item.isEmpty() || !team.equals(item.get("team").s())) return Optional.empty();
        if (Long.parseLong(item.get("expires_at").n()) <= clock.instant().getEpochSecond()) return Optional.empty();
        return Optional.of(item.get("body").b().asByteArray());
    }

    @Override
    public boolean put(String team, String scope, List<String> buckets, Entry entry, byte[] answer, Duration ttl, long maxEntries) {
        if (answer.length > MAX_ANSWER) return false;
        long now = clock.instant().getEpochSecond();
        long expires = now + ttl.toSeconds();
        if (!admitted(team, now, ttl.toSeconds(), Math.max(1, maxEntries / 2))) return false;
        AttributeValue teamValue = AttributeValue.fromS(team);
        AttributeValue expiresAt = AttributeValue.fromN(Long.toString(expires));
        List<WriteRequest> writes = new ArrayList<>();
        String sk = String.format("%013d#%s", clock.millis(), entry.id());
        for (String b : buckets) {
            Map<String, AttributeValue> item = new HashMap<>();
            item.put("pk", AttributeValue.fromS(teamKey(team, scope + "#" + b)));
            item.put("sk", AttributeValue.fromS(sk));
            item.put("team", teamValue);
            item.put("entry", AttributeValue.fromS(entry.id()));
            item.put("prompt", AttributeValue.fromS(entry.prompt()));
            item.put("vector", AttributeValue.fromB(SdkBytes.fromByteArray(encoded(entry.vector()))));
            item.put("expires_at", expiresAt);
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(Map.of(
                "pk", AttributeValue.fromS(teamKey(team, "answer#" + entry.id())), "sk", AttributeValue.fromS("answer"),
                "team", teamValue, "body", AttributeValue.fromB(SdkBytes.fromByteArray(answer)), "expires_at", expiresAt)).build()).build());
        write(writes);
        return true;
    }

    /** Counts the entry against the team's window; false when the window is full. */
    private boolean admitted(String team, long now, long ttlSeconds, long perWindow) {
        long window = now / ttlSeconds;
        try {
            ddb.updateItem(u -> u.tableName(table)
                    .key(Map.of("pk", AttributeValue.fromS(teamKey(team, "count")), "sk", AttributeValue.fromS(Long.toString(window))))
                    .updateExpression("ADD entries :one SET team = :team, expires_at = :expires")
                    .conditionExpression("attribute_not_exists(entries) OR entries < :cap")
                    .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"), ":cap", AttributeValue.fromN(Long.toString(perWindow)),
                            ":team", AttributeValue.fromS(team),
                            ":expires", AttributeValue.fromN(Long.toString((window + 2) * ttlSeconds)))));
            return true;
        } catch (ConditionalCheckFailedException full) {
            return false;
        }
    }

    /** One BatchWriteItem, and again for what DynamoDB left unprocessed (throttling), a few times. */
    private void write(List<WriteRequest> writes) {
        Map<String, List<WriteRequest>> pending = Map.of(table, writes);
        for (int attempt = 0; attempt < 4 && !pending.isEmpty(); attempt++) {
            Map<String, List<WriteRequest>> batch = pending;
            BatchWriteItemResponse r = ddb.batchWriteItem(b -> b.requestItems(batch));
            pending = r.hasUnprocessedItems() ? r.unprocessedItems() : Map.of();
            if (!pending.isEmpty()) {
                try {
                    Thread.sleep(20L << attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (!pending.isEmpty()) throw new IllegalStateException("DynamoDB left " + pending.get(table).size() + " semantic cache writes unprocessed");
    }

    /** Every key starts with its team (and every read checks the stored team too). */
    private static String teamKey(String team, String rest) {
        return "team#" + team + "#" + rest;
    }

    /** A unit vector as signed bytes, scaled so its largest component is ±127. */
    static byte[] encoded(float[] v) {
        float max = 0;
        for (float x : v) max = Math.max(max, Math.abs(x));
        byte[] out = new byte[v.length];
        if (max == 0) return out;
        for (int i = 0; i < v.length; i++) out[i] = (byte) Math.round(v[i] / max * 127);
        return out;
    }

    /** Back to a unit vector (the scale is lost and not needed: cosine ignores it). */
    static float[] decoded(byte[] b) {
        double n = 0;
        for (byte x : b) n += x * x;
        n = Math.sqrt(n);
        float[] v = new float[b.length];
        if (n == 0) return v;
        for (int i = 0; i < b.length; i++) v[i] = (float) (b[i] / n);
        return v;
    }

    @Override
    public void close() {
        queries.close();
    }
}
