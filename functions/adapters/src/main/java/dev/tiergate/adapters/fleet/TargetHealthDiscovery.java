package dev.tiergate.adapters.fleet;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the instances that serve each EC2 tier: its target group's {@code healthy} targets
 * ({@code DescribeTargetHealth}), each at the private address it registered in the fleet table when its vLLM first
 * answered ({@code instance#<role id>:<instance id>}, written by the instance's boot script: the caller id its role's
 * credentials carry, the only key the role may write, so no instance can register an address for another). A target
 * has only an instance id, and the EC2 API that maps ids to addresses would add more to the functions' package than
 * Lambda allows. The members go to
 * the fleet table as {@code tier#<name>} with the time they were seen, where every gateway instance reads them
 * ({@link DiscoveredFleetRegistry}). Only the fleet monitor calls this, once a run, so the ELB API is asked once a
 * minute per tier rather than by every function instance.
 */
public final class TargetHealthDiscovery {

    private static final System.Logger LOG = System.getLogger(TargetHealthDiscovery.class.getName());

    private final ElasticLoadBalancingV2Client elb;
    private final DynamoDbClient ddb;
    private final String table;
    private final Map<String, TierTargets> targetGroups;
    private final Clock clock;

    /**
     * An EC2 tier's target group, and the unique id of the role its instances run under (IAM's {@code AROA...}), which
     * prefixes their registrations.
     */
    public record TierTargets(String targetGroupArn, String instanceRoleId) {}

    /** @param targetGroups each EC2 tier with its target group and instance role */
    public TargetHealthDiscovery(ElasticLoadBalancingV2Client elb, DynamoDbClient ddb, String fleetTable,
                                 Map<String, TierTargets> targetGroups, Clock clock) {
        this.elb = elb;
        this.ddb = ddb;
        this.table = fleetTable;
        this.targetGroups = Map.copyOf(targetGroups);
        this.clock = clock;
    }

    /** Each tier's serving instances now; a tier whose look-up failed keeps what was stored before (and ages). */
    public Map<String, List<URI>> refresh() {
        Map<String, List<URI>> out = new LinkedHashMap<>();
        for (Map.Entry<String, TierTargets> tg : targetGroups.entrySet()) {
            try {
                List<URI> members = healthyMembers(tg.getValue());
                Map<String, AttributeValue> item = new HashMap<>();
                item.put("replica", AttributeValue.fromS(DiscoveredFleetRegistry.TIER_PREFIX + tg.getKey()));
                item.put("members", AttributeValue.fromL(members.stream().map(u -> AttributeValue.fromS(u.toString())).toList()));
                item.put("discovered_at_ms", AttributeValue.fromN(Long.toString(clock.millis())));
                ddb.putItem(b -> b.tableName(table).item(item));
                out.put(tg.getKey(), members);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "tier '" + tg.getKey() + "': could not discover its instances: " + e.getMessage());
            }
        }
        return out;
    }

    private List<URI> healthyMembers(TierTargets tier) {
        List<TargetHealthDescription> healthy = elb.describeTargetHealth(b -> b.targetGroupArn(tier.targetGroupArn()))
                .targetHealthDescriptions().stream()
                .filter(d -> d.targetHealth() != null && d.targetHealth().state() == TargetHealthStateEnum.HEALTHY).toList();
        if (healthy.isEmpty()) return List.of();
        Map<String, String> ips = registeredAddresses(tier.instanceRoleId(), healthy.stream().map(d -> d.target().id()).distinct().toList());
        List<URI> members = new ArrayList<>();
        for (TargetHealthDescription d : healthy) {
            String ip = ips.get(d.target().id());
            // Healthy but never registered (an instance from before registration, or one whose write failed): the
            // load balancer still reaches it.
            if (ip == null) continue;
            members.add(URI.create("http://" + ip + ":" + d.target().port()));
        }
        members.sort(java.util.Comparator.comparing(URI::toString));
        return List.copyOf(members);
    }

    private Map<String, String> registeredAddresses(String roleId, List<String> instanceIds) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < instanceIds.size(); i += 100) {
            List<Map<String, AttributeValue>> keys = instanceIds.subList(i, Math.min(instanceIds.size(), i + 100)).stream()
                    .map(id -> Map.of("replica", AttributeValue.fromS(registrationKey(roleId, id)))).toList();
            Map<String, KeysAndAttributes> request = new HashMap<>(Map.of(table, KeysAndAttributes.builder().keys(keys).consistentRead(true).build()));
            while (!request.isEmpty()) {
                Map<String, KeysAndAttributes> asked = Map.copyOf(request);
                var res = ddb.batchGetItem(b -> b.requestItems(asked));
                for (Map<String, AttributeValue> item : res.responses().getOrDefault(table, List.of())) {
                    AttributeValue ip = item.get("ip");
                    if (ip != null && ip.s() != null && privateAddress(ip.s())) {
                        String key = item.get("replica").s();
                        out.put(key.substring(key.lastIndexOf(':') + 1), ip.s());
                    }
                }
                request.clear();
                if (res.hasUnprocessedKeys() && !res.unprocessedKeys().isEmpty()) request.putAll(res.unprocessedKeys());
            }
        }
        return out;
    }

    /**
     * An instance writes its own registration, so what it wrote is checked: a literal IPv4 address inside private
     * ranges (or loopback, for the local stand-in), never a name to resolve or a public address to send prompts to.
     */
    static boolean privateAddress(String ip) {
        if (!ip.matches("(\\d{1,3}\\.){3}\\d{1,3}")) return false;
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(ip);
            return a.isSiteLocalAddress() || a.isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** What every registration's key starts with. */
    public static final String INSTANCE_PREFIX = "instance#";

    /**
     * The fleet-table key an instance registers its private address under: its caller id as STS reports it for an
     * instance role's credentials ({@code <role id>:<instance id>}), which IAM lets only that instance write.
     */
    public static String registrationKey(String instanceRoleId, String instanceId) {
        return INSTANCE_PREFIX + instanceRoleId + ":" + instanceId;
    }
}
