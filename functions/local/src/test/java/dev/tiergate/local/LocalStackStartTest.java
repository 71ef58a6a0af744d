package dev.tiergate.local;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The start's order: DynamoDB Local starts while the config is read, and a config that fails stops it again. */
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

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
