package dev.tiergate.adapters.dynamodb;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Creates the tables where nothing else does: the local stack and tests. In AWS the CDK app owns them, with the same
 * key schemas.
 */
public final class TableSetup {

    private TableSetup() {}

    /**
     * Creates the tables all at once, one virtual thread each (a start waits for the slowest rather than for their
     * sum), and returns when all are there; the first failure is rethrown.
     */
    public static void createIfMissing(DynamoDbClient ddb, TableNames names) {
        List<Runnable> creates = List.of(
                () -> create(ddb, names.keys(), "hash", null),
                () -> createUsage(ddb, names.usage()),
                () -> create(ddb, names.ledger(), "owner", "period"),
                () -> create(ddb, names.reservations(), "request_id", null),
                () -> create(ddb, names.budgets(), "owner", null),
                () -> create(ddb, names.audit(), "pk", "sk"),
                () -> create(ddb, names.idempotency(), "request_id", null),
                () -> create(ddb, names.cache(), "cache_key", null),
                () -> create(ddb, names.fleet(), "replica", null),
                () -> create(ddb, names.semanticCache(), "pk", "sk"));
        try (ExecutorService each = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> started = creates.stream().<Future<?>>map(each::submit).toList();
            for (Future<?> f : started) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    throw new IllegalStateException("creating a table failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while creating the tables", e);
                }
            }
        }
    }

    /** The usage table, with the {@code by_org_day} index for organisation-wide and per-user reports. */
    private static void createUsage(DynamoDbClient ddb, String table) {
        try {
            ddb.createTable(CreateTableRequest.builder().tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName("org_day").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                    .globalSecondaryIndexes(software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex.builder()
                            .indexName(UsageItem.BY_ORG_DAY)
                            .keySchema(KeySchemaElement.builder().attributeName("org_day").keyType(KeyType.HASH).build(),
                                    KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                            .projection(software.amazon.awssdk.services.dynamodb.model.Projection.builder()
                                    .projectionType(software.amazon.awssdk.services.dynamodb.model.ProjectionType.ALL).build()).build())
                    .build());
        } catch (ResourceInUseException alreadyThere) {
            // already created
        }
    }

    private static void create(DynamoDbClient ddb, String table, String pk, String sk) {
        CreateTableRequest.Builder b = CreateTableRequest.builder().tableName(table).billingMode(BillingMode.PAY_PER_REQUEST);
        if (sk == null) {
            b.attributeDefinitions(AttributeDefinition.builder().attributeName(pk).attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName(pk).keyType(KeyType.HASH).build());
        } else {
            b.attributeDefinitions(
                            AttributeDefinition.builder().attributeName(pk).attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName(sk).attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName(pk).keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName(sk).keyType(KeyType.RANGE).build());
        }
        try {
            ddb.createTable(b.build());
        } catch (ResourceInUseException alreadyThere) {
            // Persisted local data (--data DIR) or a second start: the table is what we need.
        }
    }
}
