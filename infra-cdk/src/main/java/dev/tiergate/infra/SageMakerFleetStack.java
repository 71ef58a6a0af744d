package dev.tiergate.infra;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.fleet.SageMakerEndpoint;
import dev.tiergate.fleet.SageMakerWeights;
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
 * least-outstanding-requests routing, a start-up health timeout sized to the weights, in the VPC, a KMS key for its
 * volumes unless the instance keeps the model on hardware-encrypted NVMe, image pulls from the image's own repository,
 * and Application Auto Scaling on concurrent requests per instance, out fast and in slowly.
 */
public final class SageMakerFleetStack extends Stack {

    private final CfnEndpoint endpoint;

    private final SageMakerEndpoint endpointName;

    public SageMakerFleetStack(Construct scope, String id, StackProps props, TiergateConfig tiergate, TierConfig tier, IVpc vpc, DataStack data) {
        super(scope, id, props);
        FleetSpec f = tier.fleet().orElseThrow();
        endpointName = SageMakerEndpoint.of(tiergate, tier).orElseThrow();
        ServingProfile profile = ServingProfile.of(tier);
        Role role = Role.Builder.create(this, "ExecutionRole").assumedBy(new ServicePrincipal("sagemaker.amazonaws.com"))
                .description("tiergate " + tier.name() + " SageMaker endpoint").build();
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ecr:GetAuthorizationToken")).resources(List.of("*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"))
                .resources(List.of(imageRepositoryArn(profile.image()))).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"))
                .resources(List.of("arn:" + getPartition() + ":logs:" + getRegion() + ":" + getAccount() + ":log-group:/aws/sagemaker/*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("cloudwatch:PutMetricData")).resources(List.of("*")).build());
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups")).resources(List.of("*")).build());
        data.models().grantRead(role, profile.weightsPrefix() + "*");
        Nag.suppress(role, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken, cloudwatch:PutMetricData and the ENI actions SageMaker needs "
                + "in a VPC take no resource ARNs; image pulls are limited to the image's own repository, logs to SageMaker's groups, "
                + "weights to this model's prefix.");
        SecurityGroup sg = SecurityGroup.Builder.create(this, "EndpointSg").vpc(vpc).allowAllOutbound(true)
                .description("tiergate " + tier.name() + " SageMaker endpoint").build();
        // An instance with local NVMe keeps the model on its instance store, which the hardware encrypts; SageMaker
        // refuses the whole endpoint config if a KmsKeyId is given for such an instance.
        boolean instanceStore = hasInstanceStore(f.instanceType());
        Key key = instanceStore ? null : Key.Builder.create(this, "VolumeKey").enableKeyRotation(true)
                .description("tiergate " + tier.name() + " SageMaker volumes").build();
        List<String> subnets = vpc.selectSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build()).getSubnetIds();

        SageMakerWeights weights = weights(profile);
        CfnModel.ContainerDefinitionProperty.Builder container = CfnModel.ContainerDefinitionProperty.builder().image(profile.image())
                .environment(profile.sageMakerEnvironment(weights));
        if (weights == SageMakerWeights.FROM_S3) {
            // The flat folder, file for file, into /opt/ml/model before the container starts (uncompressed: no tarball).
            container.modelDataSource(CfnModel.ModelDataSourceProperty.builder().s3DataSource(CfnModel.S3DataSourceProperty.builder()
                    .s3Uri(profile.weightsFolder(data.models().getBucketName()).uri())
                    .s3DataType("S3Prefix").compressionType("None").build()).build());
        }
        Ec2FleetStack.grantReadOfOwnFolder(this, profile, role);
        if (profile.ownFolder().isEmpty() && weights == SageMakerWeights.FROM_S3) {
            software.amazon.awscdk.Annotations.of(this).addWarningV2("tiergate:sagemaker-weights-from-cache", "tier '" + tier.name()
                    + "' serves the gated checkpoint " + f.modelId() + ": SageMaker copies its weights from the ModelWeightsBucket output's "
                    + profile.weightsPrefix() + ", which must hold them before this stack deploys (an EC2 tier of the same model fills it; "
                    + "or by hand, see docs/dispatch.md#sagemaker-tiers)");
        }
        CfnModel model = CfnModel.Builder.create(this, "Model").executionRoleArn(role.getRoleArn())
                .primaryContainer(container.build())
                .vpcConfig(CfnModel.VpcConfigProperty.builder().subnets(subnets).securityGroupIds(List.of(sg.getSecurityGroupId())).build())
                .build();
        model.getNode().addDependency(role);
        int startup = (int) Math.min(3600, Ec2FleetStack.startupGrace(f).toSeconds().longValue());
        CfnEndpointConfig.Builder configBuilder = CfnEndpointConfig.Builder.create(this, "EndpointConfig");
        if (key != null) configBuilder.kmsKeyId(key.getKeyArn());
        CfnEndpointConfig config = configBuilder
                .productionVariants(List.of(CfnEndpointConfig.ProductionVariantProperty.builder().variantName("AllTraffic")
                        .modelName(model.getAttrModelName()).instanceType(f.instanceType())
                        .initialInstanceCount(Math.max(1, f.minInstances())).initialVariantWeight(1)
                        // Sized to the weights as on EC2 (10 minutes + ~100 MB/s), within SageMaker's one-hour ceiling.
                        .containerStartupHealthCheckTimeoutInSeconds(startup).modelDataDownloadTimeoutInSeconds(startup)
                        .routingConfig(CfnEndpointConfig.RoutingConfigProperty.builder().routingStrategy("LEAST_OUTSTANDING_REQUESTS").build())
                        .build()))
                .build();
        // Named as the gateway derives it, so the functions call it without being told.
        endpoint = CfnEndpoint.Builder.create(this, "Endpoint").endpointName(endpointName.name())
                .endpointConfigName(config.getAttrEndpointConfigName()).build();

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

    /** The address the gateway dispatches to: {@code sagemaker://<endpoint name>}. */
    public SageMakerEndpoint endpointName() {
        return endpointName;
    }

    /**
     * The operator's own S3 folder, and a gated checkpoint's cache (no token reaches SageMaker), are copied from S3;
     * any other checkpoint comes from the hub, as on a first EC2 instance.
     */
    static SageMakerWeights weights(ServingProfile profile) {
        boolean gated = dev.tiergate.planner.Checkpoint.of(profile.modelId()).map(dev.tiergate.planner.Checkpoint::gated).orElse(false);
        return gated || profile.ownFolder().isPresent() ? SageMakerWeights.FROM_S3 : SageMakerWeights.FROM_HUB;
    }

    /**
     * Instance families with local NVMe (SageMaker's instance-store list: the G and P GPU families from g4dn on, and
     * the "d" variants of general-purpose types).
     */
    static boolean hasInstanceStore(String instanceType) {
        return instanceType.matches("ml\\.(g4dn|g5|g6|g6e|g7e|p3dn|p4d|p4de|p5|p5e|p5en|p6-b200|trn1|trn1n|[cmr][0-9]+[a-z]*d)\\..+");
    }

    /**
     * The repository the container image is pulled from: AWS's Deep Learning Containers live in AWS's own accounts
     * (763104351884 in most regions), so pulls are allowed from the image's repository, wherever it is, and no other.
     */
    static String imageRepositoryArn(String image) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+).*")
                .matcher(image);
        if (!m.matches()) {
            throw new IllegalArgumentException("a SageMaker image must be an ECR URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>), got '" + image + "'");
        }
        String partition = image.contains(".amazonaws.com.cn/") ? "aws-cn" : m.group(2).startsWith("us-gov-") ? "aws-us-gov" : "aws";
        return "arn:" + partition + ":ecr:" + m.group(2) + ":" + m.group(1) + ":repository/" + m.group(3);
    }
}
