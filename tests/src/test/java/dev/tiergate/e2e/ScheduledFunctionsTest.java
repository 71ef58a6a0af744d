package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.lambda.TiergateFunctions;
import dev.tiergate.local.LocalDynamo;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.function.adapter.aws.FunctionInvoker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduled functions through Spring Cloud Function's AWS adapter, with a real EventBridge scheduled event, on a
 * routing-only deployment: the daily report, with no usage records to report on, says it skipped rather than failing
 * every day (and EventBridge retrying it); the budget gauge reads the budgets from DynamoDB.
 */
class ScheduledFunctionsTest {

    /**
     * Invokes a scheduled function through the adapter with EventBridge's scheduled event, on a routing-only
     * deployment backed by {@code dynamo}; its answer.
     */
    private static JsonNode invoke(String definition, LocalDynamo dynamo) throws Exception {
        System.setProperty("MAIN_CLASS", TiergateFunctions.class.getName());
        System.setProperty("spring.cloud.function.definition", definition);
        System.setProperty("TIERGATE_CONFIG_FILE", Path.of("benchmarks", "routing-only.yaml").toAbsolutePath().toString());
        System.setProperty("TIERGATE_DYNAMODB_ENDPOINT", dynamo.endpoint().toString());
        System.setProperty("TIERGATE_REPLICAS", "");
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new FunctionInvoker().handleRequest(new ByteArrayInputStream(Files.readAllBytes(Path.of("..", "events", "eventbridge-scheduled.json"))),
                    out, null);
            JsonNode answer = StackFixture.JSON.readTree(out.toByteArray());
            return answer.isTextual() ? StackFixture.JSON.readTree(answer.asText()) : answer;
        } finally {
            // The gateway inside the adapter loads its routing model at init and cannot be closed from here.
            dev.tiergate.adapters.routing.PromptEmbeddingModel.awaitLoadsInProgress(java.time.Duration.ofSeconds(60));
            System.clearProperty("spring.cloud.function.definition");
            System.clearProperty("TIERGATE_CONFIG_FILE");
            System.clearProperty("TIERGATE_DYNAMODB_ENDPOINT");
            System.clearProperty("TIERGATE_REPLICAS");
        }
    }

    @Test
    void theDailyReportOfARoutingOnlyDeploymentSaysItSkipped() throws Exception {
        try (LocalDynamo dynamo = LocalDynamo.start(0, null)) {
            JsonNode answer = invoke("dailyReport", dynamo);
            assertThat(answer.get("skipped").asText()).contains("usage.record: false");
            // No date in a scheduled event: yesterday (UTC) is the day it would have reported.
            assertThat(answer.get("date").asText()).isEqualTo(java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString());
        }
    }

    @Test
    void theBudgetGaugePublishesTheFullestBudgetsUtilisation() throws Exception {
        try (LocalDynamo dynamo = LocalDynamo.start(0, null)) {
            // In AWS the CDK app creates the tables; here, as the stack would have them, with one budget defined.
            try (var ddb = dev.tiergate.adapters.wiring.DynamoClients.local(dynamo.endpoint())) {
                var tables = dev.tiergate.adapters.dynamodb.TableNames.withPrefix("tiergate");
                dev.tiergate.adapters.dynamodb.TableSetup.createIfMissing(ddb, tables);
                new dev.tiergate.adapters.dynamodb.DynamoBudgetStore(software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient.builder()
                        .dynamoDbClient(ddb).build(), tables.budgets(), java.time.Clock.systemUTC())
                        .put(new dev.tiergate.core.budget.BudgetPolicy(new dev.tiergate.core.budget.ScopeRef(dev.tiergate.core.budget.Scope.TEAM, "blue"),
                                java.util.Map.of(dev.tiergate.core.budget.Period.DAY, dev.tiergate.core.money.Usd.of("5.00")),
                                dev.tiergate.core.budget.BudgetPolicy.Action.REJECT, 0.8));
            }
            // (The EMF document it writes is checked where Powertools runs as in Lambda: EmfRequestMetricsTest, TiergateAppTest.)
            JsonNode answer = invoke("budgetGauge", dynamo);
            // One budget, nothing spent yet: the fullest is at 0%, and the alarms still get a datapoint.
            assertThat(answer.get("utilisation_percent").asDouble()).isZero();
            assertThat(answer.get("owner").asText()).contains("blue");
        }
    }
}
