package dev.tiergate.e2e;

import dev.tiergate.adapters.dynamodb.TableNames;
import dev.tiergate.adapters.dynamodb.TableSetup;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.local.LocalDynamo;
import dev.tiergate.local.SimulatedFleet;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A replica one gateway instance found dead is ejected for the others too, through the fleet table in DynamoDB. */
class SharedReplicaHealthTest {

    private static final String ADMIN = "tg-admin-shared-health-0123456789";

    private String key;

    private ApiResponse chat(Gateway g, int i) {
        return g.api().handle(new ApiRequest("POST", "/v1/chat/completions", Map.of(),
                Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json"),
                ("{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aReplicaEjectedByOneInstanceIsAvoidedByAnother() throws Exception {
        TiergateConfig config = ConfigLoader.parse(BudgetConfig.yaml(10_000, 1_000).replace("gateway: {request_timeout_ms: 10000, key_cache_seconds: 0}",
                "gateway: {request_timeout_ms: 10000, key_cache_seconds: 0, circuit_breaker: {minimum_calls: 3, window_size: 6, open_ms: 60000}}"), "shared.yaml");
        try (LocalDynamo dynamo = LocalDynamo.start(0, null);
             DynamoDbClient ddb = DynamoClients.local(dynamo.endpoint());
             SimulatedFleet fleet = SimulatedFleet.start(config, 2, 0, 0, InetAddress.getLoopbackAddress());
             Gateway a = Gateway.build(config, ddb, StaticFleetRegistry.of(config, fleet.urls()), Clock.systemUTC(), n -> Optional.empty());
             Gateway b = Gateway.build(config, ddb, StaticFleetRegistry.of(config, fleet.urls()), Clock.systemUTC(), n -> Optional.empty())) {
            TableSetup.createIfMissing(ddb, TableNames.withPrefix(config.tablePrefix()));
            a.installBootstrapAdmin(ADMIN);
            // A team's key: B was not given the bootstrap admin key, which it would honour on admin routes only.
            ApiResponse created = a.api().handle(new ApiRequest("POST", "/admin/keys", Map.of(),
                    Map.of("Authorization", "Bearer " + ADMIN, "Content-Type", "application/json"),
                    "{\"team\":\"health\",\"user\":\"h\"}".getBytes(StandardCharsets.UTF_8)));
            key = StackFixture.JSON.readTree(((ApiResponse.Whole) created).body()).get("key").asText();
            SimulatedReplica dead = fleet.replicas().get("small").getFirst();
            dead.setFaults(Faults.NONE.with(Map.of("reset_rate", 1)));

            for (int i = 0; i < 20; i++) assertThat(chat(a, i).status()).isEqualTo(200);
            assertThat(dead.received()).isPositive();
            assertThat(ddb.scan(s -> s.tableName("tiergate-fleet")).items())
                    .anySatisfy(item -> assertThat(item.get("replica").s()).isEqualTo(dead.baseUrl().toString()));

            // B has its own, untouched breakers; the shared ejection keeps it away from the dead replica.
            chat(b, 100); // its first look at the fleet table starts the refresh
            Thread.sleep(1500);
            long before = dead.received();
            for (int i = 0; i < 20; i++) assertThat(chat(b, 200 + i).status()).isEqualTo(200);
            assertThat(dead.received()).isEqualTo(before);
        }
    }
}
