package dev.tiergate.infra;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.fleet.ServingProfile;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.applicationautoscaling.PredefinedMetric;
import software.amazon.awscdk.services.applicationautoscaling.ScalableTarget;
import software.amazon.awscdk.services.applicationautoscaling.ServiceNamespace;
import software.amazon.awscdk.services.applicationautoscaling.BasicTargetTrackingScalingPolicyProps;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.sagemaker.CfnEndpoint;
import software.amazon.awscdk.services.sagemaker.CfnEndpointConfig;
import software.amazon.awscdk.services.sagemaker.CfnModel;
import software.constructs.Construct;

import java.util.List;

/**
 * One tier's SageMaker real-time endpoint serving the vLLM SageMaker container ({@code /ping}, {@code /invocations}):
 * least-outstanding-requests routing, a start-up health timeout long enough for large models, in the VPC with a KMS
 * key for its volumes, and Application Auto Scaling on concurrent requests per instance, out fast and in slowly.
 */
public final class SageMakerFleetStack extends Stack {

    private final CfnEndpoint endpoint;

    public SageMakerFleetStack(Construct scope, String id, StackProps props, TierConfig tier, IVpc vpc, DataStack data) {
        super(scope, id, props);
        FleetSpec f = tier.fleet().orElseThrow();
        ServingProfile profile = ServingProfile.of(tier);
        Role role = Role.Builder.create(this, "ExecutionRole").assumedBy(new ServicePrincipal("sagemaker.amazonaws.com"))
                .description("tiergate " + tier.name() + " SageMaker endpoint").build();
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ecr:GetAuthorizationToken")).resources(List.of("*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"))
                .resources(List.of("arn:" + getPartition() + ":ecr:" + getRegion() + ":" + getAccount() + ":repository/*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"))
                .resources(List.of("arn:" + getPartition() + ":logs:" + getRegion() + ":" + getAccount() + ":log-group:/aws/sagemaker/*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("cloudwatch:PutMetricData")).resources(List.of("*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups")).resources(List.of("*")).build());
        data.models().grantRead(role, profile.weightsPrefix() + "*");
        Nag.suppress(role, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken, cloudwatch:PutMetricData and the ENI actions SageMaker needs "
                + "in a VPC take no resource ARNs; image pulls are limited to this account's repositories, logs to SageMaker's groups, "
                + "weights to this model's prefix.");
        SecurityGroup sg = SecurityGroup.Builder.create(this, "EndpointSg").vpc(vpc).allowAllOutbound(true)
                .description("tiergate " + tier.name() + " SageMaker endpoint").build();
        Key key = Key.Builder.create(this, "VolumeKey").enableKeyRotation(true)
                .description("tiergate " + tier.name() + " SageMaker volumes").build();
        List<String> subnets = vpc.selectSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build()).getSubnetIds();

        CfnModel model = CfnModel.Builder.create(this, "Model").executionRoleArn(role.getRoleArn())
                .primaryContainer(CfnModel.ContainerDefinitionProperty.builder().image(profile.image())
                        .environment(profile.sageMakerEnvironment()).build())
                .vpcConfig(CfnModel.VpcConfigProperty.builder().subnets(subnets).securityGroupIds(List.of(sg.getSecurityGroupId())).build())
                .build();
        model.getNode().addDependency(role);
        CfnEndpointConfig config = CfnEndpointConfig.Builder.create(this, "EndpointConfig").kmsKeyId(key.getKeyArn())
                .productionVariants(List.of(CfnEndpointConfig.ProductionVariantProperty.builder().variantName("AllTraffic")
                        .modelName(model.getAttrModelName()).instanceType(f.instanceType())
                        .initialInstanceCount(Math.max(1, f.minInstances())).initialVariantWeight(1)
                        .containerStartupHealthCheckTimeoutInSeconds(3600).modelDataDownloadTimeoutInSeconds(3600)
                        .routingConfig(CfnEndpointConfig.RoutingConfigProperty.builder().routingStrategy("LEAST_OUTSTANDING_REQUESTS").build())
                        .build()))
                .build();
        endpoint = CfnEndpoint.Builder.create(this, "Endpoint").endpointConfigName(config.getAttrEndpointConfigName()).build();

        ScalableTarget target = ScalableTarget.Builder.create(this, "Scaling").serviceNamespace(ServiceNamespace.SAGEMAKER)
                .resourceId("endpoint/" + endpoint.getAttrEndpointName() + "/variant/AllTraffic")
                .scalableDimension("sagemaker:variant:DesiredInstanceCount")
                .minCapacity(Math.max(1, f.minInstances())).maxCapacity(f.maxInstances()).build();
        target.getNode().addDependency(endpoint);
        // Out fast, in slowly: a model takes minutes to load, and a scale-in that must be undone costs a cold start.
        target.scaleToTrackMetric("ConcurrentRequests", BasicTargetTrackingScalingPolicyProps.builder()
                .predefinedMetric(PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION)
                .targetValue(Math.max(1, f.vllm().maxNumSeqs() * 0.75))
                .scaleOutCooldown(Duration.minutes(1)).scaleInCooldown(Duration.minutes(10)).build());
        CfnOutput.Builder.create(this, "EndpointName").value(endpoint.getAttrEndpointName()).build();
    }

    public CfnEndpoint endpoint() {
        return endpoint;
    }
}
