package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.lambda.TiergateFunctions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.function.adapter.aws.FunctionInvoker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Lambda shape: Spring Cloud Function's AWS adapter ({@code FunctionInvoker}, the Lambda handler) invoked with
 * the real API Gateway events in {@code events/}, against the same DynamoDB Local and simulators as the HTTP server,
 * giving the same answers.
 */
class LambdaAdapterTest {

    private static StackFixture fx;
    private static Map<String, String> key;
    private static FunctionInvoker invoker;

    @BeforeAll
    static void start() throws Exception {
        fx = StackFixture.servingDynamoDb(0);
        key = fx.createKey("lambda-team", "dee");
        String replicas = fx.stack.fleet().urls().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().stream().map(URI::toString).collect(Collectors.joining(",")))
                .collect(Collectors.joining(";"));
        System.setProperty("MAIN_CLASS", TiergateFunctions.class.getName());
        System.setProperty("spring.cloud.function.definition", "api");
        System.setProperty("TIERGATE_CONFIG_FILE", StackFixture.EXAMPLE_CONFIG.toString());
        System.setProperty("TIERGATE_DYNAMODB_ENDPOINT", fx.stack.dynamoEndpoint().orElseThrow().toString());
        System.setProperty("TIERGATE_REPLICAS", replicas);
        invoker = new FunctionInvoker();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        // The gateway inside the adapter loads its routing model at init and cannot be closed from here.
        dev.tiergate.adapters.routing.PromptEmbeddingModel.awaitLoadsInProgress(java.time.Duration.ofSeconds(60));
        if (fx != null) fx.close();
    }

    private static JsonNode invoke(String eventFile, String secret) throws Exception {
        String event = Files.readString(Path.of("..", "events", eventFile)).replace("REPLACE_WITH_KEY", secret);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        invoker.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        return StackFixture.JSON.readTree(out.toByteArray());
    }

    @Test
    void chatEventGetsTheSameAnswerAsOverHttp() throws Exception {
        JsonNode lambda = invoke("apigateway-chat-completion.json", key.get("key"));
        assertThat(lambda.get("statusCode").asInt()).isEqualTo(200);
        assertThat(lambda.at("/headers/x-tiergate-tier").asText()).isEqualTo("small");
        Thread.sleep(300); // the cache is filled off the request path
        assertThat(lambda.at("/headers/x-tiergate-cost-usd").asText()).isNotBlank();
        JsonNode viaLambda = StackFixture.JSON.readTree(lambda.get("body").asText());

        String body = StackFixture.JSON.readTree(Files.readString(Path.of("..", "events", "apigateway-chat-completion.json")))
                .get("body").asText();
        HttpResponse<String> http = fx.post("/v1/chat/completions", key.get("key"), body);
        assertThat(http.statusCode()).isEqualTo(200);
        JsonNode viaHttp = StackFixture.JSON.readTree(http.body());

        assertThat(viaLambda.at("/choices/0/message/content").asText())
                .isNotBlank().isEqualTo(viaHttp.at("/choices/0/message/content").asText());
        assertThat(viaLambda.at("/usage/prompt_tokens").asInt()).isEqualTo(viaHttp.at("/usage/prompt_tokens").asInt());
        assertThat(viaLambda.at("/usage/completion_tokens").asInt()).isEqualTo(viaHttp.at("/usage/completion_tokens").asInt());
        // The Lambda's cost follows from its usage at the small tier's prices; the event has a seed, so the example
        // config's response cache answers the same request over HTTP for free: both runtimes share one cache.
        assertThat(new java.math.BigDecimal(lambda.at("/headers/x-tiergate-cost-usd").asText())).isEqualByComparingTo(cost(viaLambda));
        assertThat(lambda.at("/headers/x-tiergate-cache").asText()).isEqualTo("miss");
        assertThat(http.headers().firstValue("x-tiergate-cache")).contains("hit");
        assertThat(http.headers().firstValue("x-tiergate-cost-usd")).contains("0");

        List<String> recorded = fx.usage("lambda-team").stream().map(r -> r.requestId()).toList();
        assertThat(recorded).contains(lambda.at("/headers/x-tiergate-request-id").asText(),
                http.headers().firstValue("x-tiergate-request-id").orElseThrow());
    }

    private static java.math.BigDecimal cost(JsonNode answer) {
        long cached = answer.at("/usage/prompt_tokens_details/cached_tokens").asLong(0);
        long prompt = answer.at("/usage/prompt_tokens").asLong();
        long completion = answer.at("/usage/completion_tokens").asLong();
        return new java.math.BigDecimal("0.05").multiply(java.math.BigDecimal.valueOf(prompt - cached))
                .add(new java.math.BigDecimal("0.01").multiply(java.math.BigDecimal.valueOf(cached)))
                .add(new java.math.BigDecimal("0.10").multiply(java.math.BigDecimal.valueOf(completion)))
                .divide(java.math.BigDecimal.valueOf(1_000_000));
    }

    @Test
    void streamedEventReturnsTheWholeEventStream() throws Exception {
        JsonNode lambda = invoke("apigateway-chat-completion-stream.json", key.get("key"));
        assertThat(lambda.get("statusCode").asInt()).isEqualTo(200);
        assertThat(lambda.at("/headers/content-type").asText()).startsWith("text/event-stream");
        String sse = lambda.get("body").asText();
        assertThat(sse).startsWith("data: {").endsWith("data: [DONE]\n\n").contains("\"delta\"");
    }

    @Test
    void badKeyGets401InTheOpenAiShape() throws Exception {
        JsonNode lambda = invoke("apigateway-chat-completion.json", "tg-wrong");
        assertThat(lambda.get("statusCode").asInt()).isEqualTo(401);
        assertThat(StackFixture.JSON.readTree(lambda.get("body").asText()).at("/error/code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void modelsEventListsTheTiers() throws Exception {
        JsonNode lambda = invoke("apigateway-models.json", key.get("key"));
        assertThat(lambda.get("statusCode").asInt()).isEqualTo(200);
        assertThat(StackFixture.JSON.readTree(lambda.get("body").asText()).at("/data/1/id").asText()).isEqualTo("small");
    }

    @Test
    void snapStartPrimingRunsTheFirstRequestsWorkAndWritesNothing() throws Exception {
        dev.tiergate.lambda.SnapStartPriming priming = new dev.tiergate.lambda.SnapStartPriming(fx.stack.gateway());
        int before = fx.stack.dynamoClient().scan(b -> b.tableName("tiergate-usage")).count();
        dev.tiergate.lambda.SnapStartPriming.Primed p = priming.prime();
        // A random key: the probe reaches DynamoDB (the key look-up) and is refused, so nothing is dispatched or billed.
        assertThat(p.status()).isEqualTo(401);
        assertThat(p.routingModelReady()).isTrue();
        priming.beforeCheckpoint(null); // what SnapStart calls; priming twice is harmless
        fx.stack.gateway().awaitSettlementsWritten();
        assertThat(fx.stack.dynamoClient().scan(b -> b.tableName("tiergate-usage")).count()).isEqualTo(before);
    }

    @Test
    void everyEnvironmentRestoredFromTheSnapshotLeasesUnderANameOfItsOwn() throws Exception {
        String restored = fx.createKey("restored", "r").get("key");
        assertThat(fx.put("/admin/budgets/team/restored", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":10}}").statusCode()).isEqualTo(200);
        String chat = "{\"model\":\"small\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(fx.post("/v1/chat/completions", restored, chat).statusCode()).isEqualTo(200);
        dev.tiergate.core.budget.BudgetEscrow escrow = fx.stack.gateway().escrow().orElseThrow();
        assertThat(escrow.leased()).isNotEmpty();

        new dev.tiergate.lambda.SnapStartPriming(fx.stack.gateway()).afterRestore(null);
        assertThat(escrow.leased()).isEmpty();
        assertThat(fx.post("/v1/chat/completions", restored, chat).statusCode()).isEqualTo(200);
        fx.stack.gateway().awaitSettlementsWritten();
        String day = "day#" + java.time.LocalDate.now(fx.stack.gateway().config().budgets().timezone());
        var item = fx.stack.dynamoClient().getItem(b -> b.tableName("tiergate-ledger").consistentRead(true).key(java.util.Map.of(
                "owner", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("team#restored"),
                "period", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(day)))).item();
        // Two holders on the row: the snapshot's name and the restored environment's.
        assertThat(item.keySet().stream().filter(k -> k.startsWith("lease#")).count()).isEqualTo(2);
    }
}
