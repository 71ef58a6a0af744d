package dev.tiergate.adapters.dynamodb;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.adapters.wiring.DynamoClients;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tables the local stack and the tests create (all at once), against DynamoDB Local. */
class TableSetupTest {

    @Test
    void createsEveryTableWithItsKeysAndIsSafeToRunAgain() {
        AmazonDynamoDBLocal local = DynamoDBEmbedded.create(true);
        try {
            DynamoDbClient ddb = local.dynamoDbClient();
            TableNames names = TableNames.withPrefix("t");
            TableSetup.createIfMissing(ddb, names);
            // A second start on persisted data finds the tables there: no error, nothing changes.
            TableSetup.createIfMissing(ddb, names);

            assertThat(ddb.listTables().tableNames()).containsExactlyInAnyOrder(names.keys(), names.usage(), names.ledger(),
                    names.reservations(), names.budgets(), names.audit(), names.idempotency(), names.cache(), names.fleet(),
                    names.semanticCache());
            assertThat(keys(ddb, names.ledger())).containsExactly("owner", "period");
            assertThat(keys(ddb, names.semanticCache())).containsExactly("pk", "sk");
            assertThat(keys(ddb, names.keys())).containsExactly("hash");
            TableDescription usage = ddb.describeTable(b -> b.tableName(names.usage())).table();
            assertThat(usage.globalSecondaryIndexes()).singleElement()
                    .satisfies(i -> assertThat(i.indexName()).isEqualTo(UsageItem.BY_ORG_DAY));
        } finally {
            local.shutdownNow();
        }
    }

    @Test
    void anUnreachableDynamoDbFailsTheSetup() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (DynamoDbClient ddb = DynamoClients.local(URI.create("http://127.0.0.1:" + port))) {
            assertThatThrownBy(() -> TableSetup.createIfMissing(ddb, TableNames.withPrefix("t")))
                    .isInstanceOf(SdkClientException.class);
        }
    }

    private static List<String> keys(DynamoDbClient ddb, String table) {
        return ddb.describeTable(b -> b.tableName(table)).table().keySchema().stream().map(k -> k.attributeName()).toList();
    }
}
