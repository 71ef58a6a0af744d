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
 * reachable only from inside; one NAT gateway lets instances pull images and weights from the hub (S3 and DynamoDB go
 * through gateway endpoints, free and off the NAT). Flow logs record rejected traffic.
 */
public final class NetworkStack extends Stack {

    /** The VPC's address range; fleets admit traffic from it only. */
    public static final String CIDR = "10.40.0.0/16";

    private final Vpc vpc;

    public NetworkStack(Construct scope, String id, StackProps props) {
        super(scope, id, props);
        vpc = Vpc.Builder.create(this, "Vpc").ipAddresses(IpAddresses.cidr(CIDR)).maxAzs(2).natGateways(1)
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).cidrMask(24).build(),
                        SubnetConfiguration.builder().name("private").subnetType(SubnetType.PRIVATE_WITH_EGRESS).cidrMask(20).build()))
                .gatewayEndpoints(Map.of(
                        "S3", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.S3).build(),
                        "DynamoDb", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.DYNAMODB).build()))
                .flowLogs(Map.of("Rejected", FlowLogOptions.builder().destination(FlowLogDestination.toCloudWatchLogs())
                        .trafficType(software.amazon.awscdk.services.ec2.FlowLogTrafficType.REJECT).build()))
                .build();
    }

    public Vpc vpc() {
        return vpc;
    }
}
