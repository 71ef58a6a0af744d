package dev.tiergate.lambda;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.wiring.DynamoClients;
import dev.tiergate.adapters.wiring.Gateway;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.cloud.function.context.FunctionRegistration;
import org.springframework.cloud.function.context.FunctionalSpringApplication;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.support.GenericApplicationContext;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The Lambda functions, registered functionally (no classpath scanning, for a fast cold start):
 * <ul>
 *   <li>{@code api}: every route of the HTTP API, by the event's path (API Gateway proxy integration);</li>
 *   <li>{@code chat}: {@code POST /v1/chat/completions} whatever the event's path;</li>
 *   <li>{@code reservationSweeper}: a scheduled (EventBridge) function releasing reservations of dead requests;</li>
 *   <li>{@code fleetMonitor}: scheduled every minute, probes the fleets, ejects dead replicas, publishes load;</li>
 *   <li>{@code dailyReport}: scheduled daily, reports yesterday (UTC), or the {@code date} the event names;</li>
 *   <li>{@code budgetGauge}: scheduled every 15 minutes, publishes the fullest budget's utilisation.</li>
 * </ul>
 * Handler: {@code org.springframework.cloud.function.adapter.aws.FunctionInvoker::handleRequest}, with
 * {@code MAIN_CLASS} set to this class and {@code SPRING_CLOUD_FUNCTION_DEFINITION} naming the function.
 */
@SpringBootConfiguration
public class TiergateFunctions implements ApplicationContextInitializer<GenericApplicationContext> {

    public static void main(String[] args) {
        FunctionalSpringApplication.run(TiergateFunctions.class, args);
    }

    @Override
    public void initialize(GenericApplicationContext context) {
        context.registerBean("tiergateGateway", Gateway.class, () -> gateway(true));
        // Built at init, so SnapStart snapshots a primed gateway; the bean keeps the CRaC resource alive.
        context.registerBean("snapStartPriming", SnapStartPriming.class, () -> new SnapStartPriming(context.getBean(Gateway.class)).register());
        register(context, "api", Optional.empty());
        register(context, "chat", Optional.of("/v1/chat/completions"));
        // EventBridge invokes this on a schedule with its event; the answer says how many holds were released.
        context.registerBean("reservationSweeper", FunctionRegistration.class, () ->
                new FunctionRegistration<java.util.function.Function<java.util.Map<String, Object>, String>>(
                        event -> "{\"released\":" + context.getBean(Gateway.class).sweeper().sweepOnce() + "}", "reservationSweeper")
                        .type(org.springframework.cloud.function.context.catalog.FunctionTypeUtils.functionType(java.util.Map.class, String.class)));
        scheduled(context, "fleetMonitor", event -> ScheduledWork.fleetMonitor(context.getBean(Gateway.class)));
        scheduled(context, "dailyReport", event -> ScheduledWork.dailyReport(context.getBean(Gateway.class), event));
        scheduled(context, "budgetGauge", event -> ScheduledWork.budgetGauge(context.getBean(Gateway.class)));
    }

    private static void scheduled(GenericApplicationContext context, String name,
                                  java.util.function.Function<java.util.Map<String, Object>, String> work) {
        context.registerBean(name, FunctionRegistration.class, () ->
                new FunctionRegistration<>(work, name)
                        .type(org.springframework.cloud.function.context.catalog.FunctionTypeUtils.functionType(java.util.Map.class, String.class)));
    }

    private static void register(GenericApplicationContext context, String name, Optional<String> path) {
        context.registerBean(name, FunctionRegistration.class, () -> {
            Gateway g = context.getBean(Gateway.class);
            Runnable returned = g.afterResponse().<Runnable>map(q -> q::handlerReturned).orElse(() -> { });
            return new FunctionRegistration<>(new ApiGatewayFunction(g.api(), path, returned), name)
                        .type(org.springframework.cloud.function.context.catalog.FunctionTypeUtils.functionType(
                                APIGatewayProxyRequestEvent.class, APIGatewayProxyResponseEvent.class));
        });
    }

    /**
     * @param afterResponse write settlements after each response through the internal extension, when in Lambda; only
     *                      for handlers that say when they have returned (not the streaming server behind the Web
     *                      Adapter, whose invocations are the adapter's)
     */
    static Gateway gateway(boolean afterResponse) {
        LambdaSettings s = LambdaSettings.read();
        DynamoDbClient ddb = s.dynamoEndpoint().map(DynamoClients::local).orElseGet(DynamoClients::fromEnvironment);
        // In Lambda (the Runtime API is there), settlements are written after each response by an internal extension.
        Optional<String> runtimeApi = Optional.ofNullable(System.getenv("AWS_LAMBDA_RUNTIME_API")).filter(v -> afterResponse && !v.isBlank());
        dev.tiergate.core.ports.FleetRegistry fleet = StaticFleetRegistry.of(s.config(), s.replicas());
        Map<String, dev.tiergate.adapters.fleet.TargetHealthDiscovery.TierTargets> targetGroups = LambdaSettings.value("TIERGATE_TARGET_GROUPS").map(LambdaSettings::targetGroups).orElse(Map.of());
        if (!targetGroups.isEmpty()) {
            // Instances behind each EC2 tier's load balancer, as the fleet monitor found them: only the monitor function
            // asks the ELB API (and builds its client); the others read the fleet table in the background.
            String table = dev.tiergate.adapters.dynamodb.TableNames.withPrefix(s.config().tablePrefix()).fleet();
            boolean monitor = LambdaSettings.value("SPRING_CLOUD_FUNCTION_DEFINITION").filter("fleetMonitor"::equals).isPresent();
            Optional<dev.tiergate.adapters.fleet.TargetHealthDiscovery> discovery = !monitor ? Optional.empty() : Optional.of(
                    new dev.tiergate.adapters.fleet.TargetHealthDiscovery(
                            software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client.builder()
                                    .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build(),
                            ddb, table, targetGroups, Clock.systemUTC()));
            fleet = new dev.tiergate.adapters.fleet.DiscoveredFleetRegistry(fleet, ddb, table, Clock.systemUTC(),
                    java.time.Duration.ofSeconds(5), java.time.Duration.ofMinutes(3), discovery);
        }
        Gateway g = Gateway.build(s.config(), ddb, fleet, Clock.systemUTC(),
                Gateway::environment, LambdaTelemetry.of(s), runtimeApi.isPresent()
                        ? new dev.tiergate.adapters.settlement.SettlementWriting.AfterResponse()
                        : dev.tiergate.adapters.settlement.SettlementWriting.inline());
        g.afterResponse().ifPresent(q -> {
            if (LambdaAfterResponse.start(runtimeApi.get(), q).isEmpty()) q.makeInline();
        });
        s.adminKey().ifPresent(g::installBootstrapAdmin);
        // The first request routes with the full model: the init phase (10 s without SnapStart, and the snapshot's
        // priming with it) waits for the ~1.5 s load rather than the first requests routing on heuristics alone.
        try {
            g.routing().awaitReady(java.time.Duration.ofSeconds(8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return g;
    }
}
