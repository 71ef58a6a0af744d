package dev.tiergate.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DynamoDB Local in process: each stack its own database, the SDK's exceptions, the server's file, and a real stop. */
class EmbeddedDynamoTest {

    @Test
    void inMemoryInstancesShareNothing() throws Exception {
        try (EmbeddedDynamo a = EmbeddedDynamo.start(Optional.empty()); EmbeddedDynamo b = EmbeddedDynamo.start(Optional.empty())) {
            createTable(a.client(), "only-in-a");
            assertThat(a.client().listTables().tableNames()).containsExactly("only-in-a");
            assertThat(b.client().listTables().tableNames()).isEmpty();
        }
    }

    @Test
    void failuresAreTheSdksOwnExceptionsAsOverHttp() throws Exception {
        try (EmbeddedDynamo d = EmbeddedDynamo.start(Optional.empty())) {
            DynamoDbClient c = d.client();
            createTable(c, "items");
            // TableSetup relies on this one for a folder whose tables exist already
            assertThatThrownBy(() -> createTable(c, "items")).isInstanceOf(ResourceInUseException.class);
            c.putItem(b -> b.tableName("items").item(Map.of("k", AttributeValue.fromS("a"))));
            assertThatThrownBy(() -> c.putItem(b -> b.tableName("items").item(Map.of("k", AttributeValue.fromS("a")))
                    .conditionExpression("attribute_not_exists(k)"))).isInstanceOf(ConditionalCheckFailedException.class);
        }
    }

    @Test
    void aDataFolderHoldsTheServersSharedDatabaseFile(@TempDir Path data) throws Exception {
        try (EmbeddedDynamo d = EmbeddedDynamo.start(Optional.of(data.resolve("nested")))) {
            createTable(d.client(), "kept");
        }
        assertThat(data.resolve("nested").resolve(EmbeddedDynamo.SHARED_DB_FILE)).isRegularFile();
        try (LocalDynamo served = LocalDynamo.start(0, data.resolve("nested"));
             DynamoDbClient http = dev.tiergate.adapters.wiring.DynamoClients.local(served.endpoint())) {
            assertThat(http.listTables().tableNames()).containsExactly("kept");
        }
        try (var files = Files.list(data.resolve("nested"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(EmbeddedDynamo.SHARED_DB_FILE);
        }
    }

    @Test
    void closingStopsIt() throws Exception {
        EmbeddedDynamo d = EmbeddedDynamo.start(Optional.empty());
        createTable(d.client(), "items");
        d.close();
        assertThatThrownBy(() -> d.client().listTables()).hasMessageContaining("shut down");
    }

    private static void createTable(DynamoDbClient c, String name) {
        c.createTable(b -> b.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder().attributeName("k").attributeType("S").build())
                .keySchema(KeySchemaElement.builder().attributeName("k").keyType(KeyType.HASH).build()));
    }
}
