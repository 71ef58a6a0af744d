package dev.tiergate.infra;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.fleet.FleetFiles;
import dev.tiergate.fleet.ServingProfile;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.autoscaling.AutoScalingGroup;
import software.amazon.awscdk.services.autoscaling.BlockDevice;
import software.amazon.awscdk.services.autoscaling.BlockDeviceVolume;
import software.amazon.awscdk.services.autoscaling.EbsDeviceOptions;
import software.amazon.awscdk.services.autoscaling.EbsDeviceVolumeType;
import software.amazon.awscdk.services.autoscaling.MetricTargetTrackingProps;
import software.amazon.awscdk.services.autoscaling.NotificationConfiguration;
import software.amazon.awscdk.services.autoscaling.ScalingEvents;
import software.amazon.awscdk.services.autoscaling.Schedule;
import software.amazon.awscdk.services.autoscaling.ScheduledAction;
import software.amazon.awscdk.services.autoscaling.WarmPool;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.LaunchTemplate;
import software.amazon.awscdk.services.ec2.MachineImage;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.UserData;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.elasticloadbalancingv2.TargetGroupLoadBalancingAlgorithmType;
import software.amazon.awscdk.services.iam.ManagedPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.sns.ITopic;
import software.constructs.Construct;

import java.util.List;
import java.util.Map;

/**
 * One tier's EC2 GPU fleet: an Auto Scaling group of the tier's instance type on the Deep Learning AMI (NVIDIA driver
 * and Docker; from its public SSM parameter, resolved at deploy, no look-up at synth) running the vLLM OpenAI server with
 * the tier's flags, behind an internal ALB (least outstanding requests, health check on {@code /health}, a start-up
 * grace long enough to load a model), scaled by target tracking on vLLM's queue depth per replica, with an optional warm
 * pool and off-hours schedule.
 */
public final class Ec2FleetStack extends Stack {

    /** The Deep Learning Base AMI with the NVIDIA driver, Docker and the NVIDIA container toolkit. */
    public static final String GPU_AMI_PARAMETER = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id";
    public static final String FLEET_NAMESPACE = "Tiergate/Fleet";

    /**
     * How long a new instance may take to serve: ten minutes for the machine, Docker and vLLM's start, plus the weights
     * at about 100 MB/s from the hub or the cache (a 70B model in FP16, ~131 GiB, adds 22 minutes); at most the two
     * hours a lifecycle hook may wait.
     */
    static Duration startupGrace(FleetSpec f) {
        long seconds = 600 + Math.round(weightsGiB(f) * 1.0737 * 10);
        return Duration.seconds(Math.min(7200, seconds));
    }

    /** The weights as the checkpoint stores them (an unknown model: as a 70B in FP8 would be). */
    private static double weightsGiB(FleetSpec f) {
        return dev.tiergate.planner.Checkpoint.of(f.modelId()).flatMap(c -> dev.tiergate.planner.ModelSpec.named(c.family()))
                .or(() -> dev.tiergate.planner.ModelSpec.forModelId(f.modelId()))
                .map(m -> dev.tiergate.planner.CapacityPlanner.weightsGiB(m, f.quantization()
                        .flatMap(dev.tiergate.planner.Quantization::named).orElse(dev.tiergate.planner.Quantization.FP16)))
                .orElse(150.0);
    }

    /**
     * The instance store when one of its disks holds the weights twice over (the hub's download and the page cache's
     * spill), as every catalogued GPU type's does; else the root volume.
     */
    static dev.tiergate.fleet.WeightsDisk weightsDisk(FleetSpec f) {
        double disk = dev.tiergate.planner.InstanceType.named(f.instanceType()).map(dev.tiergate.planner.InstanceType::instanceStoreDiskGiB).orElse(0.0);
        return disk >= 2 * weightsGiB(f) + 10 ? dev.tiergate.fleet.WeightsDisk.INSTANCE_STORE : dev.tiergate.fleet.WeightsDisk.ROOT_VOLUME;
    }

    /**
     * The root volume: the ~20 GiB vLLM image and the OS, at least 100 GiB; and when the weights live there too, the
     * weights twice (the hub cache, or the S3 copy, and the page cache's spill while the first instance uploads them).
     */
    static int rootVolumeGiB(FleetSpec f) {
        double weights = weightsDisk(f) == dev.tiergate.fleet.WeightsDisk.ROOT_VOLUME ? 2 * weightsGiB(f) : 0;
        return (int) Math.max(100, Math.ceil(weights + 60));
    }

    /**
     * The root volume as a block device: gp3, encrypted. Holding the weights it is set to its most throughput (the
     * default 125 MB/s would take ~18 minutes to write a 70B model's 131 GiB); holding only the image it keeps gp3's
     * baseline, about what unpacking the image's layers writes per second anyway.
     */
    private static software.amazon.awscdk.services.ec2.BlockDevice rootVolume(FleetSpec f) {
        var options = software.amazon.awscdk.services.ec2.EbsDeviceOptions.builder().encrypted(true)
                .volumeType(software.amazon.awscdk.services.ec2.EbsDeviceVolumeType.GP3);
        if (weightsDisk(f) == dev.tiergate.fleet.WeightsDisk.ROOT_VOLUME) options.throughput(1000).iops(4000);
        return software.amazon.awscdk.services.ec2.BlockDevice.builder().deviceName("/dev/sda1")
                .volume(software.amazon.awscdk.services.ec2.BlockDeviceVolume.ebs(rootVolumeGiB(f), options.build())).build();
    }

    /**
     * A fleet at zero has no instance to publish a queue depth, so target tracking never starts it. The gateway
     * publishes every request's wanted tier ({@code TierDemand}); when a minute has demand and the group wants no
     * instance, the group is set to one. Target tracking takes over from there (and scales back to the minimum).
     */
    private void scaleFromZero(TierConfig tier, AutoScalingGroup asg, String groupName, String gatewayNamespace) {
        software.amazon.awscdk.services.cloudwatch.MathExpression wake = software.amazon.awscdk.services.cloudwatch.MathExpression.Builder.create()
                .expression("IF(demand > 0 AND desired < 1, 1, 0)")
                .usingMetrics(Map.of(
                        "demand", Metric.Builder.create().namespace(gatewayNamespace).metricName(TIER_DEMAND)
                                .dimensionsMap(Map.of("tier", tier.name())).statistic("Sum")
                                .period(Duration.minutes(1)).build(),
                        "desired", Metric.Builder.create().namespace("AWS/AutoScaling").metricName("GroupDesiredCapacity")
                                .dimensionsMap(Map.of("AutoScalingGroupName", groupName)).statistic("Maximum").period(Duration.minutes(1)).build()))
                .period(Duration.minutes(1)).label("demand while at zero").build();
        software.amazon.awscdk.services.cloudwatch.Alarm alarm = wake.createAlarm(this, "WakeFromZero",
                software.amazon.awscdk.services.cloudwatch.CreateAlarmOptions.builder().threshold(1).evaluationPeriods(1)
                        .comparisonOperator(software.amazon.awscdk.services.cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                        .treatMissingData(software.amazon.awscdk.services.cloudwatch.TreatMissingData.NOT_BREACHING)
                        .alarmDescription("tier " + tier.name() + " has requests and no instance: start one").build());
        software.amazon.awscdk.services.autoscaling.StepScalingAction start = software.amazon.awscdk.services.autoscaling.StepScalingAction.Builder
                .create(this, "StartFromZero").autoScalingGroup(asg)
                .adjustmentType(software.amazon.awscdk.services.autoscaling.AdjustmentType.EXACT_CAPACITY).build();
        start.addAdjustment(software.amazon.awscdk.services.autoscaling.AdjustmentTier.builder().lowerBound(0).adjustment(1).build());
        alarm.addAlarmAction(new software.amazon.awscdk.services.cloudwatch.actions.AutoScalingAction(start));
    }

    /** The gateway's metric of requests that wanted a tier (the EMF document {@code EmfRequestMetrics} writes). */
    public static final String TIER_DEMAND = dev.tiergate.core.observability.FleetSignals.TIER_DEMAND;

    /** CDK context that pins the fleets' AMI per region: {@code -c tiergate:gpu-ami=us-east-1=ami-0123…[,eu-west-1=ami-…]}. */
    public static final String AMI_CONTEXT = "tiergate:gpu-ami";

    /**
     * The pinned AMI when the context names one (the same image on every deploy until it is moved on purpose), else
     * the Deep Learning AMI's current release, resolved at each deploy, which a synth warning points out.
     */
    private software.amazon.awscdk.services.ec2.IMachineImage gpuImage() {
        Object pinned = getNode().tryGetContext(AMI_CONTEXT);
        if (pinned instanceof String s && !s.isBlank()) {
            Map<String, String> byRegion = new java.util.LinkedHashMap<>();
            for (String pair : s.split(",")) {
                String[] kv = pair.strip().split("=", 2);
                if (kv.length != 2 || !kv[1].startsWith("ami-")) {
                    throw new IllegalArgumentException(AMI_CONTEXT + " must be REGION=ami-ID[,REGION=ami-ID], got '" + s + "'");
                }
                byRegion.put(kv[0], kv[1]);
            }
            return MachineImage.genericLinux(byRegion);
        }
        software.amazon.awscdk.Annotations.of(this).addWarningV2("tiergate:ami-unpinned", "the GPU fleets' AMI is the latest Deep "
                + "Learning AMI at each deploy, so an instance may change under a redeploy: pin it with -c " + AMI_CONTEXT
                + "=REGION=ami-... (the current one: aws ssm get-parameter --name " + GPU_AMI_PARAMETER + ")");
        return MachineImage.fromSsmParameter(GPU_AMI_PARAMETER);
    }

    /** Read on the operator's own model folder, nothing else of its bucket (a bucket on a KMS key of its own also needs kms:Decrypt). */
    static void grantReadOfOwnFolder(Construct scope, ServingProfile profile, software.amazon.awscdk.services.iam.IGrantable grantee) {
        profile.ownFolder().ifPresent(folder -> software.amazon.awscdk.services.s3.Bucket.fromBucketName(scope, "ModelFolder", folder.bucket())
                .grantRead(grantee, folder.prefix() + "*"));
    }

    /** The one fleet-table key an instance may write: its registration, under the caller id IAM knows it by. */
    static final String REGISTRATION_KEY_POLICY = "instance#${aws:userid}";

    private final String instanceRoleId;
    private final ApplicationLoadBalancer alb;
    private final SecurityGroup albSecurityGroup;
    private String targetGroupArn;

    /** @param gatewayNamespace where the gateway publishes its metrics, each tier's demand among them */
    public Ec2FleetStack(Construct scope, String id, StackProps props, TierConfig tier, IVpc vpc, SecurityGroup gatewaySg, DataStack data, ITopic events,
                         String gatewayNamespace) {
        super(scope, id, props);
        FleetSpec f = tier.fleet().orElseThrow();
        ServingProfile profile = ServingProfile.of(tier);
        FleetFiles files = new FleetFiles(profile, data.models().getBucketName(), data.remoteWriteUrl(), getRegion(), FLEET_NAMESPACE,
                data.hfToken().getSecretArn(), data.tables().get("fleet").getTableName(), weightsDisk(f));

        Role role = Role.Builder.create(this, "InstanceRole").assumedBy(new ServicePrincipal("ec2.amazonaws.com"))
                .description("tiergate " + tier.name() + " fleet: weights cache, metrics, SSM sessions")
                .managedPolicies(List.of(ManagedPolicy.fromAwsManagedPolicyName("AmazonSSMManagedInstanceCore"),
                        ManagedPolicy.fromAwsManagedPolicyName("CloudWatchAgentServerPolicy"))).build();
        Nag.suppress(role, "AwsSolutions-IAM4", "AWS's own policies for the SSM agent (shell access without SSH) and the CloudWatch "
                + "agent; they track those agents' needs.", List.of("Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy"));
        data.models().grantReadWrite(role, profile.weightsPrefix() + "*");
        grantReadOfOwnFolder(this, profile, role);
        Nag.suppress(role, "AwsSolutions-IAM5", "Read and write only under this model's weights prefix in the weights bucket.");
        // The Hugging Face token for gated models: the instances read it, nothing else does.
        data.hfToken().grantRead(role);
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("aps:RemoteWrite"))
                .resources(List.of(data.prometheus().getAttrArn())).build());
        // Its own address in the fleet table, once vLLM answers: only the item keyed by its own caller id (an instance
        // role's credentials carry <role id>:<instance id>), never another instance's, an ejection or a member list.
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("dynamodb:PutItem"))
                .resources(List.of(data.tables().get("fleet").getTableArn()))
                .conditions(Map.of("ForAllValues:StringEquals", Map.of("dynamodb:LeadingKeys", List.of(REGISTRATION_KEY_POLICY)))).build());
        instanceRoleId = role.getRoleId();

        albSecurityGroup = SecurityGroup.Builder.create(this, "AlbSg").vpc(vpc).allowAllOutbound(false)
                .description("tiergate " + tier.name() + " internal ALB: from inside the VPC only").build();
        albSecurityGroup.addIngressRule(Peer.ipv4(NetworkStack.CIDR), Port.tcp(80), "gateway functions in the VPC");
        SecurityGroup instances = SecurityGroup.Builder.create(this, "InstanceSg").vpc(vpc).allowAllOutbound(true)
                .description("tiergate " + tier.name() + " vLLM instances: port 8000 from the ALB only").build();
        instances.addIngressRule(albSecurityGroup, Port.tcp(ServingProfile.PORT), "ALB to vLLM");
        // The gateway dispatches to discovered instances directly, on the vLLM port only.
        instances.addIngressRule(gatewaySg, Port.tcp(ServingProfile.PORT), "gateway functions to vLLM");
        albSecurityGroup.addEgressRule(instances, Port.tcp(ServingProfile.PORT), "ALB to vLLM");

        UserData userData = UserData.custom(files.userData());
        Duration grace = startupGrace(f);
        LaunchTemplate template = LaunchTemplate.Builder.create(this, "LaunchTemplate")
                .instanceType(new InstanceType(f.instanceType()))
                .machineImage(gpuImage())
                .userData(userData).role(role).securityGroup(instances).requireImdsv2(true)
                // The instance reads its Auto Scaling group's name from its tags, to complete the launch hook.
                .instanceMetadataTags(true)
                .blockDevices(List.of(rootVolume(f)))
                .build();

        // Named, so the instance role can be granted the launch hook on this group alone without depending on it.
        String groupName = getStackName() + "-fleet";
        role.addToPolicy(PolicyStatement.Builder.create().actions(List.of("autoscaling:CompleteLifecycleAction"))
                .resources(List.of("arn:" + getPartition() + ":autoscaling:" + getRegion() + ":" + getAccount()
                        + ":autoScalingGroup:*:autoScalingGroupName/" + groupName)).build());
        AutoScalingGroup asg = AutoScalingGroup.Builder.create(this, "Fleet").autoScalingGroupName(groupName).vpc(vpc).launchTemplate(template)
                // Its desired capacity, every minute: what tells "at zero" apart for the scale-from-zero alarm.
                .groupMetrics(List.of(new software.amazon.awscdk.services.autoscaling.GroupMetrics(
                        software.amazon.awscdk.services.autoscaling.GroupMetric.DESIRED_CAPACITY)))
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
                .minCapacity(f.minInstances()).maxCapacity(f.maxInstances())
                // Model download and load take minutes: the ALB health check may not kill an instance before.
                .healthChecks(software.amazon.awscdk.services.autoscaling.HealthChecks.withAdditionalChecks(
                        software.amazon.awscdk.services.autoscaling.AdditionalHealthChecksOptions.builder()
                                .additionalTypes(List.of(software.amazon.awscdk.services.autoscaling.AdditionalHealthCheckType.ELB))
                                .gracePeriod(grace).build()))
                .defaultInstanceWarmup(Duration.minutes(15))
                .notifications(List.of(NotificationConfiguration.builder().topic(events).scalingEvents(ScalingEvents.ALL).build()))
                .build();
        // An instance takes traffic (or enters the warm pool) only once vLLM answers: the user-data completes this hook
        // with CONTINUE after /health, or ABANDON; one that never reports is abandoned when the grace runs out. On the
        // group itself, so the instances it launches when it is created wait too (a separate hook resource comes after).
        ((software.amazon.awscdk.services.autoscaling.CfnAutoScalingGroup) asg.getNode().getDefaultChild()).setLifecycleHookSpecificationList(
                List.of(software.amazon.awscdk.services.autoscaling.CfnAutoScalingGroup.LifecycleHookSpecificationProperty.builder()
                        .lifecycleHookName(FleetFiles.LAUNCH_HOOK).lifecycleTransition("autoscaling:EC2_INSTANCE_LAUNCHING")
                        .heartbeatTimeout((int) grace.toSeconds()).defaultResult("ABANDON").build()));
        if (f.warmPool() > 0) {
            WarmPool.Builder.create(this, "WarmPool").autoScalingGroup(asg).minSize(f.warmPool()).build();
        }
        f.offHours().ifPresent(o -> {
            ScheduledAction.Builder.create(this, "OffHoursDown").autoScalingGroup(asg).schedule(Schedule.expression(o.scaleDown()))
                    .timeZone(o.timezone()).minCapacity(0).maxCapacity(f.maxInstances()).desiredCapacity(0).build();
            ScheduledAction.Builder.create(this, "OffHoursUp").autoScalingGroup(asg).schedule(Schedule.expression(o.scaleUp()))
                    .timeZone(o.timezone()).minCapacity(f.minInstances()).maxCapacity(f.maxInstances()).desiredCapacity(Math.max(1, f.minInstances())).build();
        });
        asg.scaleToTrackMetric("QueueDepth", MetricTargetTrackingProps.builder()
                .metric(Metric.Builder.create().namespace(FLEET_NAMESPACE).metricName("vllm:num_requests_waiting")
                        .dimensionsMap(Map.of("tier", tier.name())).statistic("Average").period(Duration.minutes(1)).build())
                .targetValue(f.scaleOnQueueDepth()).build());

        if (f.minInstances() == 0) scaleFromZero(tier, asg, groupName, gatewayNamespace);

        alb = ApplicationLoadBalancer.Builder.create(this, "Alb").vpc(vpc).internetFacing(false).securityGroup(albSecurityGroup)
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
                // Long generations: an answer may stream for minutes.
                .idleTimeout(Duration.minutes(10)).dropInvalidHeaderFields(true).build();
        Nag.suppress(alb, "AwsSolutions-ELB2", "Access logs need the region's ELB account at synth; this app is environment-agnostic. "
                + "Request logs are kept by the gateway (usage records) instead.");
        ApplicationTargetGroup targets = ApplicationTargetGroup.Builder.create(this, "Targets").vpc(vpc).port(ServingProfile.PORT)
                .protocol(ApplicationProtocol.HTTP).targets(List.of(asg))
                .loadBalancingAlgorithmType(TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS)
                .deregistrationDelay(Duration.minutes(5))
                .healthCheck(software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck.builder().path("/health")
                        .healthyHttpCodes("200").interval(Duration.seconds(15)).timeout(Duration.seconds(5))
                        .healthyThresholdCount(2).unhealthyThresholdCount(4).build()).build();
        alb.addListener("Http", software.amazon.awscdk.services.elasticloadbalancingv2.BaseApplicationListenerProps.builder()
                .port(80).protocol(ApplicationProtocol.HTTP).open(false).defaultTargetGroups(List.of(targets)).build());
        targetGroupArn = targets.getTargetGroupArn();
        CfnOutput.Builder.create(this, "Endpoint").value("http://" + alb.getLoadBalancerDnsName())
                .description("tier " + tier.name() + ": the fleet's internal URL, in the gateway's TIERGATE_REPLICAS").build();
    }

    /** The fleet's internal base URL, what the gateway dispatches to. */
    public String endpoint() {
        return "http://" + alb.getLoadBalancerDnsName();
    }

    /** The target group the fleet monitor discovers instances in. */
    /** IAM's unique id of the instances' role ({@code AROA...}), which prefixes their registrations' keys. */
    public String instanceRoleId() {
        return instanceRoleId;
    }

    public String targetGroupArn() {
        return targetGroupArn;
    }

    public SecurityGroup albSecurityGroup() {
        return albSecurityGroup;
    }
}
