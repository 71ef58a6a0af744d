package dev.tiergate.adapters.budget;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Periods roll over at local midnight (a non-UTC zone) and at month ends, each new period starting from zero. */
class BudgetRollOverTest {

    private static final String ADMIN = "tg-admin-rollover-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ApiResponse call(Gateway g, String method, String path, String key, String body) {
        return g.api().handle(new ApiRequest(method, path, Map.of(), Map.of("Authorization", "Bearer " + key,
                "Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode body(ApiResponse r) throws Exception {
        return JSON.readTree(((ApiResponse.Whole) r).body());
    }

    @Test
    void aDayAndAMonthStartFromZeroAtLocalMidnight() throws Exception {
        AmazonDynamoDBLocal local = DynamoDBEmbedded.create(true);
        try (SimulatedReplica replica = SimulatedReplica.start(ReplicaSettings.builder("m").timeScale(0).outputTokens(400, 400).build())) {
            TiergateConfig cfg = ConfigLoader.parse("""
                    budgets: {timezone: Asia/Tokyo, cache_seconds: 0}
                    routing: {embedding: {enabled: false}}
                    tiers:
                      - {name: a, model: m, context_window: 8192, prices_per_million: {input: 0, output: 10}, endpoint: %s}
                      - {name: b, model: m2, context_window: 8192, prices_per_million: {input: 0, output: 20}, endpoint: %s}
                    """.formatted(replica.baseUrl(), replica.baseUrl()), "t.yaml");
            DynamoDbClient ddb = local.dynamoDbClient();
            TableSetup.createIfMissing(ddb, TableNames.withPrefix(cfg.tablePrefix()));
            // 23:59:30 on 31 January in Tokyo (UTC+9).
            dev.tiergate.fixtures.ManualClock clock = new dev.tiergate.fixtures.ManualClock(Instant.parse("2027-01-31T14:59:30Z"));
            try (Gateway g = Gateway.build(cfg, ddb, StaticFleetRegistry.of(cfg, Map.of()), clock, n -> Optional.empty())) {
                g.installBootstrapAdmin(ADMIN);
                String chat = "{\"model\":\"a\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                assertThat(call(g, "PUT", "/admin/budgets/team/admin", ADMIN, "{\"limits_usd\":{\"day\":0.001,\"month\":0.0015}}").status()).isEqualTo(200);

                assertThat(call(g, "POST", "/v1/chat/completions", ADMIN, chat).status()).isEqualTo(200);
                ApiResponse full = call(g, "POST", "/v1/chat/completions", ADMIN, chat);
                assertThat(full.status()).isEqualTo(429);
                assertThat(body(full).at("/error/message").asText()).contains("period=day", "resets_at=2027-01-31T15:00:00Z");

                clock.set(Instant.parse("2027-01-31T15:00:05Z")); // 00:00:05 on 1 February in Tokyo
                assertThat(call(g, "POST", "/v1/chat/completions", ADMIN, chat).status()).isEqualTo(200);
                JsonNode state = body(call(g, "GET", "/admin/budgets/team/admin", ADMIN, ""));
                assertThat(state.at("/periods/day/period").asText()).isEqualTo("2027-02-01");
                assertThat(state.at("/periods/day/spent_usd").decimalValue()).isEqualByComparingTo("0.001");
                assertThat(state.at("/periods/month/period").asText()).isEqualTo("2027-02");
                assertThat(state.at("/periods/month/spent_usd").decimalValue()).isEqualByComparingTo("0.001");
                assertThat(state.at("/periods/month/resets_at").asText()).isEqualTo("2027-02-28T15:00:00Z");

                clock.set(Instant.parse("2027-02-01T15:00:05Z")); // 2 February, new day; month has $0.0005 left
                ApiResponse monthFull = call(g, "POST", "/v1/chat/completions", ADMIN, chat);
                assertThat(monthFull.status()).isEqualTo(429);
                assertThat(body(monthFull).at("/error/message").asText()).contains("period=month");
                List<?> usage = g.usage().forOrgDay("default", java.time.LocalDate.parse("2027-01-31"));
                assertThat(usage).hasSize(2); // the two served requests (both on 31 January UTC)
            }
        } finally {
            local.shutdownNow();
        }
    }
}
