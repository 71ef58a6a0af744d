package dev.tiergate.adapters.dynamodb;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * Creates the tables where nothing else does: the local stack and tests. In AWS the CDK app owns them, with the same
 * key schemas.
 */
public final class TableSetup {

    private TableSetup() {}

    public static void createIfMissing(DynamoDbClient ddb, TableNames names) {
        create(ddb, names.keys(), "hash", null);
        create(ddb, names.usage(), "pk", "sk");
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
