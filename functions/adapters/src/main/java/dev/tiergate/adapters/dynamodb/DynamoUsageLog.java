package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.UsageRecord;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.BatchWriteItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.BatchWriteResult;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.WriteBatch;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryConditional;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryEnhancedRequest;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/** Usage records in DynamoDB, one item per request id: a second write of the same request never adds a second record. */
public final class DynamoUsageLog implements UsageLog {

    private static final int BATCH = 25;

    private final DynamoDbEnhancedClient client;
    private final DynamoDbTable<UsageItem> table;

    public DynamoUsageLog(DynamoDbEnhancedClient client, String tableName) {
        this.client = client;
        this.table = client.table(tableName, UsageItem.SCHEMA);
    }

    @Override
    public void record(UsageRecord record) {
        try {
            table.putItem(PutItemEnhancedRequest.builder(UsageItem.class).item(UsageItem.from(record))
                    .conditionExpression(Expression.builder().expression("attribute_not_exists(pk)").build())
                    .build());
        } catch (ConditionalCheckFailedException alreadyThere) {
            // written before (a replayed settlement): once is enough
        }
    }

    /**
     * BatchWriteItem, 25 at a time. Its puts cannot be conditional, so a record written again (a replay) replaces the
     * identical item under the same request id: still one record. Items DynamoDB leaves unprocessed are sent again.
     */
    @Override
    public void recordAll(List<UsageRecord> records) {
        Map<String, UsageRecord> unique = new LinkedHashMap<>();
        for (UsageRecord r : records) unique.putIfAbsent(r.requestId(), r); // one batch may not name an item twice
        List<UsageRecord> all = new ArrayList<>(unique.values());
        for (int from = 0; from < all.size(); from += BATCH) {
            List<UsageItem> items = all.subList(from, Math.min(all.size(), from + BATCH)).stream().map(UsageItem::from).toList();
            long backoffMs = 20;
            for (int attempt = 1; !items.isEmpty(); attempt++) {
                WriteBatch.Builder<UsageItem> batch = WriteBatch.builder(UsageItem.class).mappedTableResource(table);
                items.forEach(batch::addPutItem);
                BatchWriteResult result = client.batchWriteItem(BatchWriteItemEnhancedRequest.builder().addWriteBatch(batch.build()).build());
                items = result.unprocessedPutItemsForTable(table);
                if (items.isEmpty()) break;
                if (attempt >= 8) throw new IllegalStateException(items.size() + " usage records stayed unprocessed after " + attempt + " attempts");
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while writing usage records", e);
                }
                backoffMs = Math.min(1_000, backoffMs * 2);
            }
        }
    }

    @Override
    public List<UsageRecord> forOrgDay(String org, LocalDate day) {
        List<UsageRecord> out = new ArrayList<>();
        table.index(UsageItem.BY_ORG_DAY).query(QueryEnhancedRequest.builder()
                        .queryConditional(QueryConditional.keyEqualTo(Key.builder().partitionValue(UsageItem.orgDay(org, day)).build())).build())
                .forEach(page -> page.items().forEach(i -> out.add(i.toRecord())));
        return out;
    }

    @Override
    public List<UsageRecord> forTeamDay(String team, LocalDate day) {
        List<UsageRecord> out = new ArrayList<>();
        table.query(QueryEnhancedRequest.builder()
                        .queryConditional(QueryConditional.keyEqualTo(Key.builder().partitionValue(UsageItem.partition(team, day)).build()))
                        .consistentRead(true).build())
                .items().forEach(i -> out.add(i.toRecord()));
        return out;
    }
}
