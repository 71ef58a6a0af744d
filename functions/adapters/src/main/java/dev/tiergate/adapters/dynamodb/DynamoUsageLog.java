package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.UsageRecord;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryConditional;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryEnhancedRequest;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** Usage records in DynamoDB. A record is written once: a second write of the same request is refused, never counted twice. */
public final class DynamoUsageLog implements UsageLog {

    private final DynamoDbTable<UsageItem> table;

    public DynamoUsageLog(DynamoDbEnhancedClient client, String tableName) {
        this.table = client.table(tableName, UsageItem.SCHEMA);
    }

    @Override
    public void record(UsageRecord record) {
        table.putItem(PutItemEnhancedRequest.builder(UsageItem.class).item(UsageItem.from(record))
                .conditionExpression(Expression.builder().expression("attribute_not_exists(pk)").build())
                .build());
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
