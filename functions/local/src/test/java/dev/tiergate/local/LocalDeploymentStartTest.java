package dev.tiergate.local;

import org.junit.jupiter.api.Test;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.http.HttpApiServer;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start's order: DynamoDB Local starts while the config is read, and a config that fails stops it again; the
 * gateway's port is taken early, so a port in use fails at once and a request during the start waits for the gateway;
 * the transaction it primes on the way writes nothing.
 */
class LocalDeploymentStartTest {

    @Test
    void aConfigThatFailsToReadStopsTheDynamoDbLocalStartedMeanwhile() throws Exception {
        int port = LocalDynamo.freePort();
        LocalDeployment.Options options = new LocalDeployment.Options(0, 1, 0, 0, null).withDynamoPort(port);
        IllegalStateException bad = new IllegalStateException("bad config: tiers: missing");

        assertThatThrownBy(() -> LocalDeployment.start(() -> {
            // Fail only once DynamoDB Local answers: the stack must stop what it had started.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!accepts(port)) {
                if (System.nanoTime() > deadline) throw new AssertionError("DynamoDB Local never started on " + port);
                Thread.sleep(20);
            }
            throw bad;
        }, options, "tg-admin-start-0123456789")).isSameAs(bad);

        long deadline = System.nanoTime() + 10_000_000_000L;
        while (accepts(port) && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(accepts(port)).as("DynamoDB Local still listening on " + port).isFalse();
    }

    @Test
    void aStartCreatesExactlyTheTablesAndNoItems() throws Exception {
        TiergateConfig config = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
        try (LocalDeployment stack = LocalDeployment.start(config, new LocalDeployment.Options(0, 1, 0, 0, null), "tg-admin-start-0123456789")) {
            assertThat(stack.dynamoEndpoint()).as("in process by default: no HTTP endpoint").isEmpty();
            TableNames names = TableNames.withPrefix(config.tablePrefix());
            assertThat(stack.dynamoClient().listTables().tableNames()).containsExactlyInAnyOrder(names.keys(), names.usage(),
                    names.ledger(), names.reservations(), names.budgets(), names.audit(), names.idempotency(), names.cache(), names.fleet(),
                    names.semanticCache());
            assertThat(stack.dynamoClient().scan(b -> b.tableName(names.reservations())).count()).isZero();
            assertThat(stack.dynamoClient().scan(b -> b.tableName(names.ledger())).count()).isZero();
        }
    }

    @Test
    void aPortInUseFailsTheStartBeforeTheRestAndStopsDynamoDbLocal() throws Exception {
        int dynamoPort = LocalDynamo.freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            LocalDeployment.Options options = new LocalDeployment.Options(taken.getLocalPort(), 1, 0, 0, null).withDynamoPort(dynamoPort);
            TiergateConfig config = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));

            assertThatThrownBy(() -> LocalDeployment.start(() -> config, options, "tg-admin-start-0123456789"))
                    .isInstanceOf(LocalDeployment.PortTaken.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("--port");
        }
        // DynamoDB Local was starting beside the config read: it is stopped once it has started.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && !accepts(dynamoPort)) Thread.sleep(20);
        deadline = System.nanoTime() + 10_000_000_000L;
        while (accepts(dynamoPort) && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(accepts(dynamoPort)).as("DynamoDB Local still listening on " + dynamoPort).isFalse();
    }

    @Test
    void aRequestDuringTheStartWaitsForTheGatewayAndIsAnsweredByIt() throws Exception {
        CompletableFuture<HttpApiServer.Handler> gateway = new CompletableFuture<>();
        HttpApiServer.Handler held = LocalDeployment.whenReady(gateway);
        ApiRequest request = new ApiRequest("GET", "/v1/models", Map.of(), Map.of(), new byte[0]);

        CompletableFuture<ApiResponse> answer = CompletableFuture.supplyAsync(() -> held.handle(request));
        Thread.sleep(200);
        assertThat(answer).as("answered before the gateway was ready").isNotDone();

        ApiResponse ok = new ApiResponse.Whole(200, Map.of("content-type", "application/json"), "{\"data\":[]}".getBytes(StandardCharsets.UTF_8));
        gateway.complete(r -> r == request ? ok : null);
        assertThat(answer.get(5, TimeUnit.SECONDS)).isSameAs(ok);
        assertThat(held.handle(request)).as("once ready, answered at once").isSameAs(ok);
    }

    @Test
    void aRequestHeldByAStartThatFailsIsAnswered503InTheOpenAiErrorShape() throws Exception {
        CompletableFuture<HttpApiServer.Handler> gateway = new CompletableFuture<>();
        HttpApiServer.Handler held = LocalDeployment.whenReady(gateway);
        CompletableFuture<ApiResponse> answer = CompletableFuture.supplyAsync(() ->
                held.handle(new ApiRequest("POST", "/v1/chat/completions", Map.of(), Map.of(), "{}".getBytes(StandardCharsets.UTF_8))));
        Thread.sleep(100);

        gateway.completeExceptionally(new IllegalStateException("bad config: tiers: missing"));

        ApiResponse.Whole failed = (ApiResponse.Whole) answer.get(5, TimeUnit.SECONDS);
        assertThat(failed.status()).isEqualTo(503);
        JsonNode error = new ObjectMapper().readTree(failed.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("not_started");
        assertThat(error.path("type").asText()).isEqualTo("server_error");
        assertThat(error.path("message").asText()).isEqualTo("tiergate did not start: bad config: tiers: missing");
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
