package dev.tiergate.e2e;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.settlement.AfterResponseSettlements;
import dev.tiergate.adapters.settlement.SettlementWriting;
import dev.tiergate.adapters.wiring.DynamoCallStats;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.adapters.wiring.Telemetry;
import dev.tiergate.lambda.ApiGatewayFunction;
import dev.tiergate.lambda.LambdaAfterResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Settlements written after the response by the internal extension, against a stand-in of Lambda's Extensions API
 * that refuses what Lambda refuses (no extension name, no identifier, {@code SHUTDOWN} for an internal extension) and
 * ends an invocation only when the extension asks for its next event, as Lambda does.
 */
class LambdaAfterResponseTest {

    /** The Extensions API: register, then event/next, which blocks until the test invokes. */
    static final class ExtensionsApiStandIn implements AutoCloseable {
        final HttpServer server;
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        /** Calls of event/next so far: the first says init is done, each later one that an invocation is. */
        final BlockingQueue<Long> nextCalls = new LinkedBlockingQueue<>();
        final AtomicInteger registered = new AtomicInteger();
        private final String id = UUID.randomUUID().toString();
        volatile boolean refuseRegistration;

        ExtensionsApiStandIn() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/2020-01-01/extension/register", this::register);
            server.createContext("/2020-01-01/extension/event/next", this::next);
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        private void register(HttpExchange x) throws IOException {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String name = x.getRequestHeaders().getFirst("Lambda-Extension-Name");
            if (!"POST".equals(x.getRequestMethod()) || name == null || name.isBlank() || refuseRegistration) {
                answer(x, 403, "{\"errorType\":\"Extension.Forbidden\",\"errorMessage\":\"registration refused\"}");
                return;
            }
            JsonNode events = StackFixture.JSON.readTree(body).path("events");
            for (JsonNode e : events) {
                if ("SHUTDOWN".equals(e.asText())) {
                    answer(x, 400, "{\"errorType\":\"ShutdownEventNotSupportedForInternalExtension\",\"errorMessage\":\"internal extensions cannot register for SHUTDOWN\"}");
                    return;
                }
            }
            registered.incrementAndGet();
            x.getResponseHeaders().add("Lambda-Extension-Identifier", id);
            answer(x, 200, "{\"functionName\":\"tiergate-chat\",\"functionVersion\":\"1\",\"handler\":\"h\"}");
        }

        private void next(HttpExchange x) throws IOException {
            if (!id.equals(x.getRequestHeaders().getFirst("Lambda-Extension-Identifier"))) {
                answer(x, 403, "{\"errorType\":\"Extension.Unauthorized\"}");
                return;
            }
            nextCalls.add(System.nanoTime());
            try {
                answer(x, 200, events.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void answer(HttpExchange x, int status, String body) throws IOException {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(status, b.length);
            x.getResponseBody().write(b);
            x.close();
        }

        void invoke(String requestId) {
            events.add("{\"eventType\":\"INVOKE\",\"deadlineMs\":" + (System.currentTimeMillis() + 30_000) + ",\"requestId\":\"" + requestId
                    + "\",\"invokedFunctionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:tiergate-chat\"}");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static StackFixture fx;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        fx = StackFixture.servingDynamoDb(0);
        key = fx.createKey("after-response", "ada").get("key");
        assertThat(fx.put("/admin/budgets/team/after-response", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":10}}").statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    /** A chat completion event as API Gateway sends it; not deterministic, so the response cache never answers it. */
    private static APIGatewayProxyRequestEvent chatEvent(int i) {
        return new APIGatewayProxyRequestEvent().withHttpMethod("POST").withPath("/v1/chat/completions")
                .withHeaders(Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json"))
                .withBody("{\"model\":\"small\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"What is a GPU? (" + i + ")\"}]}");
    }

    private static int usageRecords(DynamoDbClient ddb) {
        return ddb.scan(b -> b.tableName("tiergate-usage")).count();
    }

    @Test
    void theSettlementIsWrittenAfterTheResponseBeforeTheInvocationEnds(@TempDir Path dir) throws Exception {
        DynamoCallStats calls = new DynamoCallStats();
        try (ExtensionsApiStandIn lambda = new ExtensionsApiStandIn();
             DynamoDbClient ddb = DynamoClients.local(fx.stack.dynamoEndpoint().orElseThrow(), List.of(calls));
             Gateway g = Gateway.build(fx.stack.gateway().config(), ddb, StaticFleetRegistry.of(fx.stack.gateway().config(), fx.stack.fleet().urls()),
                     Clock.systemUTC(), Gateway::environment, Telemetry.local(dir), new SettlementWriting.AfterResponse())) {
            AfterResponseSettlements queue = g.afterResponse().orElseThrow();
            assertThat(LambdaAfterResponse.start(lambda.address(), queue)).isPresent();
            assertThat(lambda.registered.get()).isEqualTo(1);
            assertThat(lambda.nextCalls.poll(10, TimeUnit.SECONDS)).as("the extension's init-done call").isNotNull();
            ApiGatewayFunction function = new ApiGatewayFunction(g.api(), Optional.empty(), queue::handlerReturned);

            for (int i = 0; i < 3; i++) {
                int before = usageRecords(fx.stack.dynamoClient());
                calls.reset();
                lambda.invoke("inv-" + i);
                APIGatewayProxyResponseEvent response = function.apply(chatEvent(i));
                assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
                // After the first (the key, the budget and the lease are read or taken once), the handler's thread makes
                // no DynamoDB call at all: neither before dispatch nor for the settlement, which the response did not wait for.
                if (i > 0) assertThat(calls.callsOn(Thread.currentThread().getName())).isZero();
                // The invocation ends (the extension asks for its next event) only once the record is written.
                assertThat(lambda.nextCalls.poll(10, TimeUnit.SECONDS)).isNotNull();
                assertThat(usageRecords(fx.stack.dynamoClient())).isEqualTo(before + 1);
                assertThat(calls.callsOn(LambdaAfterResponse.NAME)).isPositive();
                assertThat(queue.pending()).isZero();
            }
        }
    }

    @Test
    void whenLambdaRefusesTheExtensionSettlementsAreWrittenBeforeTheResponse(@TempDir Path dir) throws Exception {
        DynamoCallStats calls = new DynamoCallStats();
        try (ExtensionsApiStandIn lambda = new ExtensionsApiStandIn();
             DynamoDbClient ddb = DynamoClients.local(fx.stack.dynamoEndpoint().orElseThrow(), List.of(calls));
             Gateway g = Gateway.build(fx.stack.gateway().config(), ddb, StaticFleetRegistry.of(fx.stack.gateway().config(), fx.stack.fleet().urls()),
                     Clock.systemUTC(), Gateway::environment, Telemetry.local(dir), new SettlementWriting.AfterResponse())) {
            lambda.refuseRegistration = true;
            AfterResponseSettlements queue = g.afterResponse().orElseThrow();
            assertThat(LambdaAfterResponse.start(lambda.address(), queue)).isEmpty();
            queue.makeInline(); // what the Lambda wiring does then
            ApiGatewayFunction function = new ApiGatewayFunction(g.api(), Optional.empty(), queue::handlerReturned);
            int before = usageRecords(fx.stack.dynamoClient());
            calls.reset();
            assertThat(function.apply(chatEvent(99)).getStatusCode()).isEqualTo(200);
            assertThat(usageRecords(fx.stack.dynamoClient())).isEqualTo(before + 1);
            assertThat(calls.callsOn(Thread.currentThread().getName())).isPositive();
        }
    }
}
