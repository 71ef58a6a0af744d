package dev.tiergate.adapters.wiring;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A hosted frontier tier behind an API key: the key comes from a named secret, goes only to that tier's host, and a
 * missing key stops the gateway from starting. The "hosted model" is a simulator that demands the key, on DynamoDB Local.
 */
class HostedTierTest {

    private static String config(String url) {
        return """
                routing:
                  embedding: {enabled: false}
                tiers:
                  - name: small
                    model: local-small
                    context_window: 4096
                    prices_per_million: {input: 0.1, output: 0.2}
                    endpoint: http://127.0.0.1:1
                  - name: frontier
                    model: frontier-model
                    context_window: 8192
                    prices_per_million: {input: 3, output: 15}
                    endpoint: %s
                    api_key_env: FRONTIER_API_KEY
                """.formatted(url);
    }

    private static ApiResponse chat(Gateway g, String key) {
        return g.api().handle(new ApiRequest("POST", "/v1/chat/completions", Map.of(),
                Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json"),
                "{\"model\":\"frontier\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theSecretKeyReachesTheHostedTierAndAMissingOneFailsTheStart() throws Exception {
        AmazonDynamoDBLocal local = DynamoDBEmbedded.create(true);
        try (SimulatedReplica hosted = SimulatedReplica.start(ReplicaSettings.builder("frontier-model").timeScale(0).apiKey("sk-frontier-123").build())) {
            DynamoDbClient ddb = local.dynamoDbClient();
            TiergateConfig cfg = ConfigLoader.parse(config(hosted.baseUrl().toString()), "t.yaml");
            TableSetup.createIfMissing(ddb, TableNames.withPrefix(cfg.tablePrefix()));
            String admin = "tg-admin-hosted-test-0123456789";
            String user;

            try (Gateway withKey = Gateway.build(cfg, ddb, StaticFleetRegistry.of(cfg, Map.of()), Clock.systemUTC(),
                    name -> name.equals("FRONTIER_API_KEY") ? Optional.of("sk-frontier-123") : Optional.empty())) {
                withKey.installBootstrapAdmin(admin);
                assertThat(chat(withKey, admin).status()).isEqualTo(200);
                ApiResponse created = withKey.api().handle(new ApiRequest("POST", "/admin/keys", Map.of(),
                        Map.of("Authorization", "Bearer " + admin, "Content-Type", "application/json"),
                        "{\"team\":\"t\",\"user\":\"u\"}".getBytes(StandardCharsets.UTF_8)));
                user = new com.fasterxml.jackson.databind.ObjectMapper().readTree(((ApiResponse.Whole) created).body()).get("key").asText();
            }
            try (Gateway wrongKey = Gateway.build(cfg, ddb, StaticFleetRegistry.of(cfg, Map.of()), Clock.systemUTC(),
                    name -> Optional.of("sk-wrong"))) {
                // A team's key: this gateway was not given the bootstrap key, which it honours on admin routes only.
                ApiResponse r = chat(wrongKey, user);
                assertThat(r.status()).isEqualTo(502);
                assertThat(new String(((ApiResponse.Whole) r).body(), StandardCharsets.UTF_8)).contains("HTTP 401").doesNotContain("sk-wrong");
            }
            assertThatThrownBy(() -> Gateway.build(cfg, ddb, StaticFleetRegistry.of(cfg, Map.of()), Clock.systemUTC(), name -> Optional.empty()))
                    .hasMessageContaining("FRONTIER_API_KEY");
        } finally {
            local.shutdownNow();
        }
    }
}
