package dev.tiergate.infra;

import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ec2.FlowLogDestination;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.constructs.Construct;

import java.util.List;
import java.util.Map;

/**
 * The VPC the gateway functions and the GPU fleets share: fleets and their load balancers sit in private subnets and are
 * reachable only from inside; a NAT gateway lets instances pull images and weights from the hub (one by default; one per
 * AZ with {@code -c tiergate:nat-per-az=true}, so losing an AZ does not cut the other off). S3 and DynamoDB go through
 * gateway endpoints (free); the AWS APIs the functions and instances call on every request or boot (SSM, Secrets
 * Manager, SNS, Managed Prometheus, X-Ray, CloudWatch Logs, Auto Scaling) through interface endpoints, off the NAT
 * and inside the VPC. Flow logs record rejected traffic.
 */
public final class NetworkStack extends Stack {

    /** The VPC's address range; fleets admit traffic from it only. */
    public static final String CIDR = "10.40.0.0/16";

    private final Vpc vpc;

    /** CDK context: a NAT gateway in each AZ (about $33 a month each, plus data) instead of one. */
    public static final String NAT_PER_AZ_CONTEXT = "tiergate:nat-per-az";
    static final int AZS = 2;

    private final software.amazon.awscdk.services.ec2.SecurityGroup functionsSg;

    public NetworkStack(Construct scope, String id, StackProps props) {
        this(scope, id, props, false);
    }

    /** @param sageMaker some tier is served by SageMaker: the functions call SageMaker Runtime from the VPC */
    public NetworkStack(Construct scope, String id, StackProps props, boolean sageMaker) {
        super(scope, id, props);
        boolean natPerAz = "true".equals(String.valueOf(getNode().tryGetContext(NAT_PER_AZ_CONTEXT)));
        vpc = Vpc.Builder.create(this, "Vpc").ipAddresses(IpAddresses.cidr(CIDR)).maxAzs(AZS).natGateways(natPerAz ? AZS : 1)
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).cidrMask(24).build(),
                        SubnetConfiguration.builder().name("private").subnetType(SubnetType.PRIVATE_WITH_EGRESS).cidrMask(20).build()))
                .gatewayEndpoints(Map.of(
                        "S3", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.S3).build(),
                        "DynamoDb", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.DYNAMODB).build()))
                .flowLogs(Map.of("Rejected", FlowLogOptions.builder().destination(FlowLogDestination.toCloudWatchLogs())
                        .trafficType(software.amazon.awscdk.services.ec2.FlowLogTrafficType.REJECT).build()))
                .build();
        Map<String, software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService> endpoints = new java.util.LinkedHashMap<>();
        endpoints.put("Ssm", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.SSM);
        endpoints.put("SecretsManager", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
        endpoints.put("Sns", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.SNS);
        endpoints.put("Prometheus", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.PROMETHEUS_WORKSPACES);
        endpoints.put("XRay", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.XRAY);
        endpoints.put("Logs", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS);
        endpoints.put("AutoScaling", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.AUTOSCALING);
        // Per-replica discovery reads the fleets' target health (elasticloadbalancing:DescribeTargetHealth).
        endpoints.put("ElasticLoadBalancing", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING);
        if (sageMaker) endpoints.put("SageMakerRuntime", software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME);
        // HTTPS from inside the VPC only, the range named as a literal (the VPC's own attribute would be a token).
        software.amazon.awscdk.services.ec2.SecurityGroup endpointsSg = software.amazon.awscdk.services.ec2.SecurityGroup.Builder
                .create(this, "EndpointsSg").vpc(vpc).allowAllOutbound(false)
                .description("tiergate interface endpoints: HTTPS from inside the VPC").build();
        endpointsSg.addIngressRule(software.amazon.awscdk.services.ec2.Peer.ipv4(CIDR), software.amazon.awscdk.services.ec2.Port.tcp(443),
                "functions and fleet instances in the VPC");
        functionsSg = software.amazon.awscdk.services.ec2.SecurityGroup.Builder.create(this, "FunctionsSg").vpc(vpc).allowAllOutbound(true)
                .description("tiergate functions: out to the fleets, DynamoDB, S3, SNS, SSM").build();
        endpoints.forEach((name, service) -> vpc.addInterfaceEndpoint(name, software.amazon.awscdk.services.ec2.InterfaceVpcEndpointOptions.builder()
                .service(service).privateDnsEnabled(true).open(false).securityGroups(List.of(endpointsSg))
                .subnets(software.amazon.awscdk.services.ec2.SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
                .build()));
    }

    public Vpc vpc() {
        return vpc;
    }

    /** The gateway functions' group: the fleets admit it, and only it, to their instances' vLLM port. */
    public software.amazon.awscdk.services.ec2.SecurityGroup functionsSecurityGroup() {
        return functionsSg;
    }
}
