package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.local.LocalDynamo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tiergate serve} as a service runs it: it listens once the routing model has loaded, so no request is routed without it. */
class ServeReadinessTest {

    private static final String ADMIN = "tg-admin-readiness-test-0123456789";

    @Test
    void theFirstAnswersOfAServedGatewayRouteWithTheFullModel(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tiergate.yaml");
        Files.writeString(config, BudgetConfig.yaml(10_000, 1_000).replace("embedding: {enabled: false}", "embedding: {enabled: true}"));
        HttpClient http = HttpClient.newHttpClient();
        try (LocalDynamo dynamo = LocalDynamo.start(0, null); DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint())) {
            TableSetup.createIfMissing(ddb, TableNames.withPrefix("tiergate"));
            int port = ChildTiergate.freePort();
            Path log = dir.resolve("serve.log");
            Process p = ChildTiergate.start(List.of(), List.of("serve", "--config", config.toString(), "--port", Integer.toString(port),
                    "--dynamodb-endpoint", dynamo.endpoint().toString(), "--replicas", "small=http://127.0.0.1:9;large=http://127.0.0.1:9",
                    "--journal", dir.resolve("journal").toString()), ADMIN, log);
            try {
                ChildTiergate.awaitHealthy(p, port, log, Duration.ofSeconds(90));
                URI base = URI.create("http://127.0.0.1:" + port);
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(StackFixture.JSON.readTree(health.body()).path("routing_model").asText()).as(health.body()).isEqualTo("ready");
                HttpResponse<String> route = http.send(HttpRequest.newBuilder(base.resolve("/route")).header("Authorization", "Bearer " + ADMIN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Which river runs through Vienna?\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(route.statusCode()).as(route.body()).isEqualTo(200);
                JsonNode d = StackFixture.JSON.readTree(route.body());
                assertThat(d.path("scorer").asText()).isEqualTo("heuristics+embedding");
                assertThat(d.path("reasons").toString()).doesNotContain("embedding:not_ready");
            } finally {
                p.destroy();
                p.waitFor();
            }
        }
    }
}
