package dev.tiergate.local;

import org.junit.jupiter.api.Test;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start's order: DynamoDB Local starts while the config is read, and a config that fails stops it again; the
 * transaction it primes on the way writes nothing.
 */
class LocalStackStartTest {

    @Test
    void aConfigThatFailsToReadStopsTheDynamoDbLocalStartedMeanwhile() throws Exception {
        int port = LocalDynamo.freePort();
        LocalStack.Options options = new LocalStack.Options(0, 1, 0, 0, null, port);
        IllegalStateException bad = new IllegalStateException("bad config: tiers: missing");

        assertThatThrownBy(() -> LocalStack.start(() -> {
            // Fail only once DynamoDB Local answers: the stack must stop what it had started.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!accepts(port)) {
                if (System.nanoTime() > deadline) throw new AssertionError("DynamoDB Local never started on " + port);
                Thread.sleep(20);
            }
            throw bad;
        }, options, "tg-admin-start-0123456789", Optional.empty())).isSameAs(bad);

        long deadline = System.nanoTime() + 10_000_000_000L;
        while (accepts(port) && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(accepts(port)).as("DynamoDB Local still listening on " + port).isFalse();
    }

    @Test
    void theStartsTransactionPrimeLeavesNoTableAndNoItemBehind() throws Exception {
        TiergateConfig config = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
        try (LocalStack stack = LocalStack.start(config, new LocalStack.Options(0, 1, 0, 0, null, 0), "tg-admin-start-0123456789")) {
            TableNames names = TableNames.withPrefix(config.tablePrefix());
            // the prime runs beside the table creation; give it time to have been refused
            Thread.sleep(500);
            assertThat(stack.dynamoClient().listTables().tableNames()).containsExactlyInAnyOrder(names.keys(), names.usage(),
                    names.ledger(), names.reservations(), names.budgets(), names.audit(), names.idempotency(), names.cache(), names.fleet());
            assertThat(stack.dynamoClient().scan(b -> b.tableName(names.reservations())).count()).isZero();
            assertThat(stack.dynamoClient().scan(b -> b.tableName(names.ledger())).count()).isZero();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
