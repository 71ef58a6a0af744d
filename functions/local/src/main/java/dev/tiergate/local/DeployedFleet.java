package dev.tiergate.local;

import dev.tiergate.adapters.fleet.DiscoveredFleetRegistry;
import dev.tiergate.adapters.fleet.TargetHealthDiscovery;
import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.sim.SimulatedReplica;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The simulated fleet laid out as AWS has it: each EC2 tier a target group (the DescribeTargetHealth stand-in), each
 * replica an instance in it, registered healthy, whose address is in the fleet table as the instance's boot script
 * writes it. The registry it makes finds the replicas as the deployed one does, through the SDK client.
 */
public final class DeployedFleet implements AutoCloseable {

    private final TargetHealthStandIn targetHealth;
    private final ElasticLoadBalancingV2Client elb;
    private final Map<String, TargetHealthDiscovery.TierTargets> targetGroups;
    private final Map<SimulatedReplica, TargetHealthStandIn.Target> targets;
    private final DynamoDbClient ddb;
    private final String table;

    private DeployedFleet(TargetHealthStandIn targetHealth, ElasticLoadBalancingV2Client elb, Map<String, TargetHealthDiscovery.TierTargets> targetGroups,
                          Map<SimulatedReplica, TargetHealthStandIn.Target> targets, DynamoDbClient ddb, String table) {
        this.targetHealth = targetHealth;
        this.elb = elb;
        this.targetGroups = targetGroups;
        this.targets = targets;
        this.ddb = ddb;
        this.table = table;
    }

    static DeployedFleet start(TiergateConfig config, SimulatedFleet fleet, DynamoDbClient ddb, String fleetTable) {
        TargetHealthStandIn standIn = TargetHealthStandIn.start();
        Map<String, TargetHealthDiscovery.TierTargets> groups = new LinkedHashMap<>();
        Map<SimulatedReplica, TargetHealthStandIn.Target> targets = new LinkedHashMap<>();
        for (TierConfig t : config.tiers()) {
            if (t.endpoint().isPresent() || t.fleet().map(f -> f.kind() != FleetSpec.Kind.EC2).orElse(false)) continue;
            List<SimulatedReplica> replicas = fleet.replicas().getOrDefault(t.name(), List.of());
            if (replicas.isEmpty()) continue;
            String arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + config.tablePrefix() + "-" + t.name()
                    + "/" + String.format("%016x", (long) t.name().hashCode() & 0xffffffffL);
            // The unique id IAM gives the tier's instance role (AROA + 17 characters).
            String roleId = "AROA" + String.format("%017X", (long) t.name().hashCode() & 0xffffffffL);
            groups.put(t.name(), new TargetHealthDiscovery.TierTargets(arn, roleId));
            for (SimulatedReplica r : replicas) {
                TargetHealthStandIn.Target target = new TargetHealthStandIn.Target(String.format("i-%017x", (long) r.port()), r.port());
                standIn.register(arn, target, TargetHealthStandIn.State.HEALTHY);
                targets.put(r, target);
                // What the instance's boot script writes once its vLLM answers.
                ddb.putItem(b -> b.tableName(fleetTable).item(Map.of(
                        "replica", AttributeValue.fromS(TargetHealthDiscovery.registrationKey(roleId, target.id())),
                        "ip", AttributeValue.fromS(r.baseUrl().getHost()),
                        "tier", AttributeValue.fromS(t.name()))));
            }
        }
        ElasticLoadBalancingV2Client elb = ElasticLoadBalancingV2Client.builder().endpointOverride(standIn.url())
                .region(Region.US_EAST_1).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTIERGATELOCAL", "tiergate-local-secret")))
                .build();
        return new DeployedFleet(standIn, elb, Map.copyOf(groups), targets, ddb, fleetTable);
    }

    /**
     * The deployed-style registry, read once before use. What it falls back to stands for each tier's load balancer:
     * one URL (here the tier's first replica), so a fleet that was not discovered is told apart from one that was.
     */
    FleetRegistry registry(FleetRegistry configured) {
        Map<String, List<java.net.URI>> balancers = new LinkedHashMap<>();
        configured.all().forEach((tier, urls) -> balancers.put(tier, targetGroups.containsKey(tier) && !urls.isEmpty() ? List.of(urls.getFirst()) : urls));
        FleetRegistry fallback = new dev.tiergate.adapters.fleet.StaticFleetRegistry(balancers);
        DiscoveredFleetRegistry r = new DiscoveredFleetRegistry(fallback, ddb, table, Clock.systemUTC(), Duration.ofSeconds(1),
                Duration.ofMinutes(3), Optional.of(new TargetHealthDiscovery(elb, ddb, table, targetGroups, Clock.systemUTC())));
        r.refresh();
        return r;
    }

    public TargetHealthStandIn targetHealth() {
        return targetHealth;
    }

    /** The target a replica is registered as. */
    public TargetHealthStandIn.Target target(SimulatedReplica r) {
        return targets.get(r);
    }

    @Override
    public void close() {
        elb.close();
        targetHealth.close();
    }
}
