package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.ReplicaHealth;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The fleet registry's health part in DynamoDB: one item per ejected replica with the time its ejection runs out.
 * Reads come from a snapshot refreshed in the background about once a second, so the request path never waits on it;
 * an ejection reaches every instance within about a second.
 */
public final class DynamoReplicaHealth implements ReplicaHealth {

    private static final System.Logger LOG = System.getLogger(DynamoReplicaHealth.class.getName());
    private static final long REFRESH_MS = 1000;

    private final DynamoDbClient ddb;
    private final String table;
    private final Clock clock;
    private final AtomicReference<Map<String, Long>> snapshot = new AtomicReference<>(Map.of());
    private volatile long refreshedAt;
    private final AtomicBoolean refreshing = new AtomicBoolean();

    public DynamoReplicaHealth(DynamoDbClient ddb, String table, Clock clock) {
        this.ddb = ddb;
        this.table = table;
        this.clock = clock;
    }

    @Override
    public boolean ejected(URI replica) {
        long now = clock.millis();
        if (now - refreshedAt > REFRESH_MS && refreshing.compareAndSet(false, true)) {
            Thread.ofVirtual().name("replica-health-refresh").start(this::refresh);
        }
        Long until = snapshot.get().get(replica.toString());
        return until != null && until > now;
    }

    /** Reads every ejection (the table holds only ejected replicas, so it stays tiny). */
    @Override
    public void refresh() {
        try {
            Map<String, Long> m = new HashMap<>();
            // The table also holds fleet membership (tier# and instance# items); ejections are the ones with a deadline.
            ddb.scan(b -> b.tableName(table).consistentRead(true).filterExpression("attribute_exists(ejected_until_ms)")).items()
                    .forEach(i -> m.put(i.get("replica").s(), Long.parseLong(i.get("ejected_until_ms").n())));
            snapshot.set(Map.copyOf(m));
            refreshedAt = clock.millis();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read replica health: " + e.getMessage());
        } finally {
            refreshing.set(false);
        }
    }

    @Override
    public void eject(URI replica, Instant until, String reason) {
        try {
            ddb.putItem(b -> b.tableName(table).item(Map.of("replica", AttributeValue.fromS(replica.toString()),
                    "ejected_until_ms", AttributeValue.fromN(Long.toString(until.toEpochMilli())),
                    "reason", AttributeValue.fromS(reason), "expires_at", AttributeValue.fromN(Long.toString(until.getEpochSecond() + 3600)))));
            snapshot.updateAndGet(m -> {
                Map<String, Long> n = new HashMap<>(m);
                n.put(replica.toString(), until.toEpochMilli());
                return Map.copyOf(n);
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not share the ejection of " + replica + ": " + e.getMessage());
        }
    }

    @Override
    public void restore(URI replica) {
        try {
            ddb.deleteItem(b -> b.tableName(table).key(Map.of("replica", AttributeValue.fromS(replica.toString()))));
            snapshot.updateAndGet(m -> {
                Map<String, Long> n = new HashMap<>(m);
                n.remove(replica.toString());
                return Map.copyOf(n);
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not lift the ejection of " + replica + ": " + e.getMessage());
        }
    }
}
