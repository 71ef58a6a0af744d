package dev.tiergate.infra;

import dev.tiergate.core.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;
import software.amazon.awscdk.cxapi.SynthesisMessage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The example config's whole app, synthesized once: CDK assertions on every stack and cdk-nag's AWS Solutions checks. */
class TiergateAppTest {

    static final Path ROOT = Path.of("..");
    static DeploySettings settings;
    static TiergateApp.Stacks stacks;
    static CloudAssembly assembly;

    @BeforeAll
    static void synth() throws Exception {
        settings = DeploySettings.of(ROOT.resolve("tiergate.yaml"), DeploySettings.defaultLambdaJar(ROOT), Optional.of("ops@example.com"));
        App app = new App(AppProps.builder().outdir(Files.createTempDirectory("cdk-out").toString()).build());
        stacks = TiergateApp.build(app, settings);
        assembly = app.synth();
    }

    static List<Stack> all() {
        List<Stack> s = new ArrayList<>(List.of(stacks.network(), stacks.data(), stacks.observability(), stacks.gateway()));
        s.addAll(stacks.fleets().values());
        return s;
    }

    @Test
    void cdkNagFindsNothingUnsuppressed() {
        List<String> findings = new ArrayList<>();
        for (Stack s : all()) {
            for (SynthesisMessage m : Annotations.fromStack(s).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
                findings.add(s.getStackName() + " " + m.getId() + ": " + m.getEntry().getData());
            }
            for (SynthesisMessage m : Annotations.fromStack(s).findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
                findings.add(s.getStackName() + " " + m.getId() + ": " + m.getEntry().getData());
            }
        }
        assertThat(findings).isEmpty();
    }

    @Test
    void everyStackIsWrittenAsATemplate() {
        for (Stack s : all()) assertThat(Path.of(assembly.getDirectory(), s.getTemplateFile())).exists();
        assertThat(stacks.fleets().keySet()).containsExactly("small", "medium", "large");
    }

    @Test
    void dataTablesAreDurableEncryptedAndExpireWhatExpires() {
        Template t = Template.fromStack(stacks.data());
        t.resourceCountIs("AWS::DynamoDB::Table", 10);
        t.allResourcesProperties("AWS::DynamoDB::Table", Map.of("BillingMode", "PAY_PER_REQUEST",
                "DeletionProtectionEnabled", true,
                "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true),
                "SSESpecification", Map.of("SSEEnabled", true)));
        t.hasResource("AWS::DynamoDB::Table", Map.of("DeletionPolicy", "Retain"));
        t.hasResourceProperties("AWS::DynamoDB::Table", Map.of("TableName", "tiergate-reservations",
                "TimeToLiveSpecification", Map.of("AttributeName", "expires_at", "Enabled", true)));
        t.hasResourceProperties("AWS::DynamoDB::Table", Map.of("TableName", "tiergate-semantic-cache",
                "KeySchema", List.of(Map.of("AttributeName", "pk", "KeyType", "HASH"), Map.of("AttributeName", "sk", "KeyType", "RANGE")),
                "TimeToLiveSpecification", Map.of("AttributeName", "expires_at", "Enabled", true)));
        t.hasResourceProperties("AWS::DynamoDB::Table", Map.of("TableName", "tiergate-usage",
                "GlobalSecondaryIndexes", List.of(Match.objectLike(Map.of("IndexName", "by_org_day")))));
        t.hasResourceProperties("AWS::S3::Bucket", Map.of("VersioningConfiguration", Map.of("Status", "Enabled"),
                "LifecycleConfiguration", Map.of("Rules", List.of(Match.objectLike(Map.of("ExpirationInDays", 730))))));
        t.hasResourceProperties("AWS::SSM::Parameter", Map.of("Name", "/tiergate/config",
                "Value", Match.stringLikeRegexp(".*\"name\":\"small\".*")));
        t.resourceCountIs("AWS::APS::Workspace", 1);
        assertThat(Files.exists(Path.of(assembly.getDirectory(), stacks.data().getTemplateFile()))).isTrue();
    }

    @Test
    void ec2FleetRunsTheTiersVllmBehindAnInternalAlbAndScalesOnQueueDepth() {
        Template t = Template.fromStack(stacks.fleets().get("small"));
        t.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Map.of("MinSize", "1", "MaxSize", "4",
                "HealthCheckType", "ELB", "HealthCheckGracePeriod", 660));
        // 10 minutes plus the weights at ~100 MB/s: 5.6 GiB of AWQ here; the large tier's 66 GiB of FP8 get 22 minutes.
        t.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Map.of("AutoScalingGroupName", "TiergateFleet-small-fleet",
                "LifecycleHookSpecificationList", List.of(Map.of("LifecycleHookName", dev.tiergate.fleet.FleetFiles.LAUNCH_HOOK,
                        "LifecycleTransition", "autoscaling:EC2_INSTANCE_LAUNCHING", "DefaultResult", "ABANDON", "HeartbeatTimeout", 660))));
        Template large = Template.fromStack(stacks.fleets().get("large"));
        large.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Map.of(
                "LifecycleHookSpecificationList", List.of(Match.objectLike(Map.of("HeartbeatTimeout", 1306)))));
        // large has min_instances 0: the gateway's demand for it starts an instance; small (min 1) needs no such alarm.
        large.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("Metrics", Match.arrayWith(List.of(
                Match.objectLike(Map.of("Expression", "IF(demand > 0 AND desired < 1, 1, 0)")),
                Match.objectLike(Map.of("Id", "demand", "MetricStat", Match.objectLike(Map.of("Metric", Map.of(
                        "Namespace", settings.config().observability().namespace(), "MetricName", dev.tiergate.core.observability.FleetSignals.TIER_DEMAND,
                        "Dimensions", List.of(Map.of("Name", "tier", "Value", "large")))))))))));
        large.hasResourceProperties("AWS::AutoScaling::ScalingPolicy", Map.of("PolicyType", "StepScaling", "AdjustmentType", "ExactCapacity",
                "StepAdjustments", List.of(Map.of("MetricIntervalLowerBound", 0, "ScalingAdjustment", 1))));
        t.resourceCountIs("AWS::CloudWatch::Alarm", 0);
        t.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", Map.of("Scheme", "internal"));
        t.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Map.of("HealthCheckPath", "/health", "Port", 8000,
                "TargetGroupAttributes", Match.arrayWith(List.of(Map.of("Key", "load_balancing.algorithm.type",
                        "Value", "least_outstanding_requests")))));
        t.hasResourceProperties("AWS::AutoScaling::ScalingPolicy", Map.of("PolicyType", "TargetTrackingScaling",
                "TargetTrackingConfiguration", Match.objectLike(Map.of("TargetValue", 5,
                        "CustomizedMetricSpecification", Match.objectLike(Map.of("MetricName", "vllm:num_requests_waiting",
                                "Namespace", "Tiergate/Fleet", "Dimensions", List.of(Map.of("Name", "tier", "Value", "small"))))))));
        String json = t.toJSON().toString();
        assertThat(json).contains("--served-model-name").contains("llama-3.1-8b-instruct").contains("--enable-prompt-tokens-details")
                .contains("deeplearning/ami").contains("aps:RemoteWrite");
        t.hasResourceProperties("AWS::EC2::LaunchTemplate", Map.of("LaunchTemplateData", Match.objectLike(Map.of(
                "InstanceType", "g5.xlarge", "MetadataOptions", Map.of("HttpTokens", "required", "InstanceMetadataTags", "enabled"),
                "BlockDeviceMappings", List.of(Match.objectLike(Map.of("Ebs", Match.objectLike(Map.of("VolumeType", "gp3",
                        "Throughput", Match.absent(), "Iops", Match.absent(), "VolumeSize", 100, "Encrypted", true)))))))));
        // Every example tier's weights live on its instance store (a g5.xlarge's 250 GB disk; a p4d's 1 TB ones hold the
        // 70B tier's 66 GiB), so the root volume holds the OS and the image only.
        assertThat(json).contains("instance-store = instance-store").doesNotContain("root-volume = instance-store");
        Template.fromStack(stacks.fleets().get("large")).hasResourceProperties("AWS::EC2::LaunchTemplate", Map.of("LaunchTemplateData",
                Match.objectLike(Map.of("BlockDeviceMappings", List.of(Match.objectLike(Map.of("Ebs", Match.objectLike(Map.of("VolumeSize", 100)))))))));
        assertThat(json).contains("autoscaling:CompleteLifecycleAction").contains("complete-lifecycle-action");
        // The instances read the Hugging Face token secret (gated models), and the user-data reads it.
        assertThat(json).contains("secretsmanager:GetSecretValue").contains("get-secret-value");
        Template.fromStack(stacks.data()).hasResourceProperties("AWS::SecretsManager::Secret", Map.of(
                "Description", "Hugging Face token the GPU fleets download gated models with", "SecretString", dev.tiergate.fleet.FleetFiles.TOKEN_UNSET));
    }

    @Test
    void observabilityAlarmsHaveTheReferenceThresholds() {
        Template t = Template.fromStack(stacks.observability());
        t.resourceCountIs("AWS::SNS::Topic", 3);
        // Alarms and Auto Scaling can publish only to topics under a key whose policy admits them: not alias/aws/sns.
        t.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
        String key = t.findResources("AWS::KMS::Key", Map.of()).keySet().iterator().next();
        for (Map<String, Object> topic : t.findResources("AWS::SNS::Topic", Map.of()).values()) {
            assertThat(((Map<?, ?>) topic.get("Properties")).get("KmsMasterKeyId").toString()).contains(key).doesNotContain("alias/aws/sns");
        }
        String policy = t.findResources("AWS::KMS::Key", Map.of()).get(key).toString();
        assertThat(policy).contains("cloudwatch.amazonaws.com").contains("AWSServiceRoleForAutoScaling").contains("kms:GenerateDataKey*");
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "error rate over 10%", "Threshold", 10));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "error rate over 5%", "Threshold", 5));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "a budget exceeded its limit by 50%", "Threshold", 150));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "a budget reached 80% of its limit", "Threshold", 80));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "tier 'small' p95 latency over 1 s",
                "Threshold", 1000, "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of("MetricStat", Match.objectLike(Map.of(
                        "Stat", "p95", "Metric", Match.objectLike(Map.of("MetricName", "Latency"))))))))));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "tier 'small' has no healthy replica",
                "Threshold", 1, "ComparisonOperator", "LessThanThreshold", "TreatMissingData", "breaching"));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "tier 'medium' KV cache over 95%", "Threshold", 95));
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription", "tier 'small' has more than 20 requests waiting per replica",
                "Threshold", 20, "Statistic", "Average"));
        // The error rate survives a tier with no traffic: every series is filled with 0.
        String errorRate = t.findResources("AWS::CloudWatch::Alarm", Map.of("Properties", Map.of("AlarmDescription", "error rate over 10%")))
                .values().iterator().next().toString();
        assertThat(errorRate).contains("FILL(e0,0)").contains("FILL(r0,0)").doesNotContain("(e0+");
        t.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of("AlarmDescription",
                Match.stringLikeRegexp("tier 'large' takes over 25%.*"), "Threshold", 25));
        // large has min_instances 0: an empty fleet is not an outage.
        assertThat(t.findResources("AWS::CloudWatch::Alarm", Map.of("Properties", Map.of("AlarmDescription", "tier 'large' has no healthy replica")))).isEmpty();
        t.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    }

    @Test
    void gatewayStreamsChatSeparatesAdminAndSchedulesItsJobs() throws Exception {
        Template t = Template.fromStack(stacks.gateway());
        t.hasResourceProperties("AWS::Lambda::Function", Map.of("Runtime", "java21", "SnapStart", Map.of("ApplyOn", "PublishedVersions"),
                "Environment", Map.of("Variables", Match.objectLike(Map.of("SPRING_CLOUD_FUNCTION_DEFINITION", "api")))));
        t.hasResourceProperties("AWS::Lambda::Function", Map.of("Handler", "run.sh",
                "Environment", Map.of("Variables", Match.objectLike(Map.of("AWS_LWA_INVOKE_MODE", "response_stream",
                        "AWS_LAMBDA_EXEC_WRAPPER", "/opt/bootstrap")))));
        // The Web Adapter v1.0.0 layer (version 27), from the account that publishes it in the region deployed to.
        String stream = t.findResources("AWS::Lambda::Function", Map.of("Properties", Map.of("Handler", "run.sh"))).toString();
        assertThat(stream).contains("LambdaAdapterLayerX86:27").contains("753240598075").contains("041581134020").contains("069767869989");
        // Its code is the Lambda module's streaming package (run.sh, the jar, its own runtime and AOT cache), by the digest
        // that build wrote (CDK keys the asset by that hash's own SHA-256): StreamingPackageTest runs that package.
        String digest = java.nio.file.Files.readString(settings.lambdaJar().getParent().resolve("lwa-package/package.sha256")).strip();
        String key = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(digest.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(stream).contains(key + ".zip");
        assertThat(t.toJSON().get("Conditions").toString()).contains("cn-north-1").contains("cn-northwest-1");
        // The admin throttle sits on the methods' own path.
        t.hasResourceProperties("AWS::ApiGateway::Stage", Map.of("MethodSettings", Match.arrayWith(List.of(Match.objectLike(Map.of(
                "ResourcePath", "/~1admin~1{proxy+}", "HttpMethod", "*", "ThrottlingRateLimit", 20, "ThrottlingBurstLimit", 40))))));
        t.hasResourceProperties("AWS::ApiGateway::Method", Map.of("HttpMethod", "POST",
                "Integration", Match.objectLike(Map.of("ResponseTransferMode", "STREAM"))));
        t.hasResourceProperties("AWS::Lambda::Alias", Map.of("Name", "live"));
        // Every endpoint the gateway serves has its route: chat and legacy completions streamed, embeddings buffered.
        Map<String, Map<String, Object>> resources = t.findResources("AWS::ApiGateway::Resource", Map.of());
        assertThat(resources.values().stream().map(r -> String.valueOf(((Map<?, ?>) r.get("Properties")).get("PathPart"))).toList())
                .contains("chat", "completions", "embeddings", "models", "route", "health", "admin");
        assertThat(t.findResources("AWS::ApiGateway::Method", Map.of("Properties", Map.of("HttpMethod", "POST",
                "Integration", Match.objectLike(Map.of("ResponseTransferMode", "STREAM")))))).hasSize(2);
        // Streams last up to stream_timeout_ms (5 minutes by default) on a REGIONAL endpoint; the function and the
        // integration allow it and a few seconds more, and whole answers stay under API Gateway's 29 s.
        t.hasResourceProperties("AWS::ApiGateway::RestApi", Map.of("EndpointConfiguration", Map.of("Types", List.of("REGIONAL"))));
        assertThat(t.findResources("AWS::ApiGateway::Method", Map.of("Properties", Map.of("HttpMethod", "POST",
                "Integration", Match.objectLike(Map.of("ResponseTransferMode", "STREAM", "TimeoutInMillis", 310_000)))))).hasSize(2);
        t.hasResourceProperties("AWS::Lambda::Function", Map.of("Handler", "run.sh", "Timeout", 310));
        t.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "rate(1 minute)"));
        t.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "cron(15 0 * * ? *)"));
        // The budget alarms are fed every 15 minutes and read the hour's maximum: a budget at 80% alarms within the hour.
        t.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "rate(15 minutes)"));
        Template.fromStack(stacks.observability()).hasResourceProperties("AWS::CloudWatch::Alarm", Map.of(
                "MetricName", "BudgetUtilisationPercent", "Period", 3600, "Threshold", 80));
        t.hasResourceProperties("AWS::ApiGateway::Stage", Map.of("StageName", "v1",
                "AccessLogSetting", Match.objectLike(Map.of()), "TracingEnabled", true));
        t.hasResourceProperties("AWS::ApiGateway::GatewayResponse", Map.of("ResponseType", "BAD_REQUEST_BODY",
                "ResponseTemplates", Map.of("application/json", Match.stringLikeRegexp(".*invalid_request_error.*"))));
        String json = t.toJSON().toString();
        assertThat(json).contains("TIERGATE_REPLICAS").contains("TIERGATE_CONFIG_PARAMETER").doesNotContain("TIERGATE_ADMIN_KEY\"");
        // Each function installs the bootstrap admin key at start when it holds it; only admin may write keys, so only admin holds it.
        Map<String, Map<String, Object>> fns = t.findResources("AWS::Lambda::Function", Map.of());
        List<String> holders = fns.entrySet().stream().filter(e -> e.getValue().toString().contains("TIERGATE_ADMIN_KEY_SECRET"))
                .map(Map.Entry::getKey).toList();
        assertThat(holders).hasSize(1).allMatch(k -> k.startsWith("Admin"));
    }

    @Test
    void onlyTheAdminFunctionMayWriteKeysAndBudgets() {
        Map<String, Map<String, Object>> policies = Template.fromStack(stacks.gateway()).findResources("AWS::IAM::Policy", Map.of());
        Map<String, String> onKeysAndBudgets = new java.util.HashMap<>();
        for (Map.Entry<String, Map<String, Object>> p : policies.entrySet()) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> statements = (List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
                    p.getValue().get("Properties")).get("PolicyDocument")).get("Statement");
            for (Map<String, Object> st : statements) {
                String res = String.valueOf(st.get("Resource"));
                if (res.contains("Tablekeys") || res.contains("Tablebudgets")) onKeysAndBudgets.merge(p.getKey(), String.valueOf(st.get("Action")), String::concat);
            }
        }
        String admin = onKeysAndBudgets.entrySet().stream().filter(e -> e.getKey().startsWith("Admin")).map(Map.Entry::getValue).findFirst().orElseThrow();
        assertThat(admin).contains("dynamodb:PutItem");
        List<String> requestPath = onKeysAndBudgets.keySet().stream().filter(k -> k.startsWith("ApiFunction") || k.startsWith("ChatStream")).toList();
        assertThat(requestPath).hasSize(2);
        for (String k : requestPath) {
            assertThat(onKeysAndBudgets.get(k)).as(k).contains("dynamodb:GetItem").doesNotContain("PutItem").doesNotContain("DeleteItem")
                    .doesNotContain("UpdateItem");
        }
    }

    @Test
    void anImpossibleFleetStopsTheSynthWithTheReason() {
        String yaml = settings.configText().replace("instance_type: p4d.24xlarge", "instance_type: g5.xlarge")
                .replace("quantization: fp8", "quantization: none").replace("tensor_parallel_size: 4", "tensor_parallel_size: 1");
        assertThat(yaml).contains("instance_type: g5.xlarge");
        DeploySettings bad = new DeploySettings(settings.configFile(), yaml, ConfigLoader.parse(yaml, "bad.yaml"), settings.lambdaJar(), Optional.empty());
        assertThatThrownBy(() -> TiergateApp.build(new App(), bad))
                .hasMessageContaining("tier 'large'").hasMessageContaining("does not fit").hasMessageContaining("g5.xlarge");
        assertThat(CapacityCheck.check(settings.config())).allMatch(CapacityCheck.Finding::fits);
    }

    @Test
    void weightsLiveOnTheRootVolumeAtFullThroughputWhereTheInstanceHasNoInstanceStoreToHoldThem() {
        // g4dn.xlarge is not in the planner's catalogue: nothing says it has an instance store large enough.
        String yaml = settings.configText().replace("instance_type: g5.xlarge", "instance_type: g4dn.xlarge");
        assertThat(yaml).contains("instance_type: g4dn.xlarge");
        var config = ConfigLoader.parse(yaml, "root-volume.yaml");
        var f = config.tierNamed("small").fleet().orElseThrow();
        assertThat(Ec2FleetStack.weightsDisk(f)).isEqualTo(dev.tiergate.fleet.WeightsDisk.ROOT_VOLUME);
        assertThat(Ec2FleetStack.weightsDisk(settings.config().tierNamed("small").fleet().orElseThrow()))
                .isEqualTo(dev.tiergate.fleet.WeightsDisk.INSTANCE_STORE);
        DeploySettings rooted = new DeploySettings(settings.configFile(), yaml, config, settings.lambdaJar(), Optional.empty());
        Template small = Template.fromStack(TiergateApp.build(new App(), rooted).fleets().get("small"));
        small.hasResourceProperties("AWS::EC2::LaunchTemplate", Map.of("LaunchTemplateData", Match.objectLike(Map.of(
                "InstanceType", "g4dn.xlarge", "BlockDeviceMappings", List.of(Match.objectLike(Map.of("Ebs", Match.objectLike(Map.of(
                        "VolumeType", "gp3", "Throughput", 1000, "Iops", 4000, "Encrypted", true)))))))));
        assertThat(small.toJSON().toString()).contains("root-volume = instance-store");
    }

    @Test
    void aModelInTheOperatorsOwnS3FolderIsReadFromThereByTheInstancesOnly() {
        String yaml = settings.configText().replace("model_id: hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
                "model_id: s3://customer-models/llama-ft/");
        DeploySettings own = new DeploySettings(settings.configFile(), yaml, ConfigLoader.parse(yaml, "own.yaml"), settings.lambdaJar(), Optional.empty());
        Template small = Template.fromStack(TiergateApp.build(new App(), own).fleets().get("small"));
        String json = small.toJSON().toString();
        // The user-data copies from the folder itself (ready once it has a config.json), not from the cache.
        assertThat(json).contains("WEIGHTS_CACHE='s3://customer-models/llama-ft/'").contains("aws s3 ls \"${WEIGHTS_CACHE}config.json\"");
        // Read, not write, on that folder alone: the statement naming it grants s3:GetObject* and no s3:Put*.
        List<String> statements = new java.util.ArrayList<>();
        for (var policy : small.findResources("AWS::IAM::Policy", Map.of()).values()) {
            @SuppressWarnings("unchecked") var doc = (Map<String, Object>) ((Map<String, Object>) policy.get("Properties")).get("PolicyDocument");
            for (Object st : (List<?>) doc.get("Statement")) if (st.toString().contains("customer-models")) statements.add(st.toString());
        }
        assertThat(statements).isNotEmpty().allMatch(st -> !st.contains("s3:Put") && !st.contains("s3:Delete"));
        assertThat(String.join(" ", statements)).contains("s3:GetObject").contains(":s3:::customer-models/llama-ft/*");
    }

    @Test
    void aTierVllmWouldRefuseToStartStopsTheSynthNamingTheMismatch() {
        // The old example: AWQ on Llama 3.1's full-precision weights.
        String yaml = settings.configText().replace("model_id: hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "model_id: meta-llama/Llama-3.1-8B-Instruct")
                .replace("quantization: awq_marlin          # vLLM", "quantization: awq          # vLLM");
        assertThat(yaml).contains("model_id: meta-llama/Llama-3.1-8B-Instruct ").contains("quantization: awq          # vLLM");
        DeploySettings bad = new DeploySettings(settings.configFile(), yaml, ConfigLoader.parse(yaml, "bad.yaml"), settings.lambdaJar(), Optional.empty());
        assertThatThrownBy(() -> TiergateApp.build(new App(), bad)).hasMessageContaining("tier 'small'")
                .hasMessageContaining("quantization awq on a checkpoint whose config declares none").hasMessageContaining("Cannot find the config file for awq");
        // Tensor parallelism that does not divide the heads (Qwen2.5-32B has 40) or exceeds the GPUs, and a context above what the model derives.
        String medium = "vllm: {gpu_memory_utilization: 0.92, max_model_len: 16384, max_num_seqs: 64, max_num_batched_tokens: 8192, tool_call_parser: hermes}";
        assertThat(settings.configText()).contains(medium);
        assertThat(refusalIn(settings.configText().replace(medium, medium.replace("max_num_batched_tokens: 8192",
                "max_num_batched_tokens: 8192, tensor_parallel_size: 3")).replace("instance_type: g6e.xlarge", "instance_type: g6e.12xlarge")))
                .contains("tensor_parallel_size 3 does not divide the model's 40 attention heads");
        assertThat(refusal(medium.replace("max_num_batched_tokens: 8192", "max_num_batched_tokens: 8192, tensor_parallel_size: 2")))
                .contains("tensor_parallel_size 2 needs 2 GPUs; g6e.xlarge has 1");
        assertThat(refusal(medium.replace("max_model_len: 16384", "max_model_len: 65536")))
                .contains("max_model_len 65536 is above the 32768 tokens vLLM derives");
        assertThat(CapacityCheck.launchRefusal("medium", settings.config().tierNamed("medium").fleet().orElseThrow())).isEmpty();
        // fp16 is a dtype, not a quantization method: vLLM's argument parser refuses it.
        assertThat(refusalIn(settings.configText().replace("quantization: awq_marlin\n      vllm: {gpu_memory_utilization: 0.92, max_model_len: 16384",
                "quantization: fp16\n      vllm: {gpu_memory_utilization: 0.92, max_model_len: 16384"))).contains("fp16 is not a vLLM quantization method");
    }

    /** The medium tier's vllm line replaced, and what the synth check then says of it. */
    private String refusal(String vllmLine) {
        return refusalIn(settings.configText().replace(
                "vllm: {gpu_memory_utilization: 0.92, max_model_len: 16384, max_num_seqs: 64, max_num_batched_tokens: 8192, tool_call_parser: hermes}", vllmLine));
    }

    private static String refusalIn(String yaml) {
        var f = ConfigLoader.parse(yaml, "t.yaml").tierNamed("medium").fleet().orElseThrow();
        return CapacityCheck.launchRefusal("medium", f).orElse("no refusal");
    }

    /** A metric as an alarm names it, and as a writer emits it: namespace, name, dimensions with their values. */
    private record MetricKey(String namespace, String name, Map<String, String> dimensions) {}

    /** The EMF documents a piece of the gateway's code writes, read back as the metrics CloudWatch makes of them. */
    private static java.util.Set<MetricKey> emitted(Runnable writer) throws Exception {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            writer.run();
        } finally {
            System.setOut(old);
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Set<MetricKey> out = new java.util.HashSet<>();
        for (String line : buf.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (!line.startsWith("{")) continue;
            com.fasterxml.jackson.databind.JsonNode doc = json.readTree(line);
            for (com.fasterxml.jackson.databind.JsonNode directive : doc.at("/_aws/CloudWatchMetrics")) {
                for (com.fasterxml.jackson.databind.JsonNode set : directive.get("Dimensions")) {
                    Map<String, String> dims = new java.util.TreeMap<>();
                    set.forEach(d -> dims.put(d.asText(), doc.get(d.asText()).asText()));
                    for (com.fasterxml.jackson.databind.JsonNode m : directive.get("Metrics")) {
                        out.add(new MetricKey(directive.get("Namespace").asText(), m.get("Name").asText(), dims));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyAlarmReadsAMetricThatSomethingActuallyEmits() throws Exception {
        String ns = settings.config().observability().namespace();
        var metrics = software.amazon.lambda.powertools.metrics.MetricsFactory.getMetricsInstance();
        java.util.Set<MetricKey> emitted = new java.util.HashSet<>();
        // The gateway: one request per tier, served and refused; the fleet monitor's gauges; the budget gauge.
        emitted.addAll(emitted(() -> {
            var requests = new dev.tiergate.adapters.metrics.EmfRequestMetrics(metrics, ns);
            var fleet = new dev.tiergate.adapters.metrics.EmfFleetGauges(metrics, ns);
            List<dev.tiergate.core.fleet.ReplicaStatus> replicas = new java.util.ArrayList<>();
            for (var t : settings.config().tiers()) {
                requests.observe(new dev.tiergate.core.observability.RequestOutcome("r-" + t.name(), java.time.Instant.now(), "key_1", "ml",
                        t.name(), t.model(), 200, dev.tiergate.core.usage.Outcome.OK, false, 120, 60,
                        new dev.tiergate.core.money.TokenUsage(10, 5, 0), dev.tiergate.core.money.Usd.of("0.0001"), false, Optional.empty(),
                        dev.tiergate.core.budget.BudgetAction.ALLOW, java.util.OptionalDouble.of(0.5), Optional.empty()));
                replicas.add(new dev.tiergate.core.fleet.ReplicaStatus(t.name(), java.net.URI.create("http://" + t.name() + ":8000"), true,
                        1, 2, 0.5, "ok"));
            }
            fleet.publish(replicas);
            new dev.tiergate.adapters.metrics.EmfBudgetGauge(metrics, ns).publish(0.5);
        }));
        // The instances: the CloudWatch agent's EMF processor, as rendered into their user-data.
        for (var t : settings.config().tiers()) {
            if (t.fleet().isEmpty() || t.fleet().get().kind() != dev.tiergate.core.config.FleetSpec.Kind.EC2) continue;
            var files = new dev.tiergate.fleet.FleetFiles(dev.tiergate.fleet.ServingProfile.of(t), "b", "https://aps/remote_write", "eu-west-1",
                    Ec2FleetStack.FLEET_NAMESPACE, "secret", "tiergate-fleet", Ec2FleetStack.weightsDisk(t.fleet().get()));
            com.fasterxml.jackson.databind.JsonNode agent = new com.fasterxml.jackson.databind.ObjectMapper().readTree(files.cloudWatchAgent());
            com.fasterxml.jackson.databind.JsonNode emf = agent.at("/logs/metrics_collected/prometheus/emf_processor");
            assertThat(files.prometheusScrape()).contains("tier: '" + t.name() + "'");
            for (com.fasterxml.jackson.databind.JsonNode decl : emf.get("metric_declaration")) {
                assertThat(decl.get("dimensions").toString()).isEqualTo("[[\"tier\"]]");
                for (com.fasterxml.jackson.databind.JsonNode sel : decl.get("metric_selectors")) {
                    String name = sel.asText().replaceAll("^\\^|\\$$", "");
                    emitted.add(new MetricKey(emf.get("metric_namespace").asText(), name, Map.of("tier", t.name())));
                }
            }
        }

        assertThat(emitted).as("the captured metrics").isNotEmpty();
        int checked = 0;
        for (Stack stack : all()) {
            for (var alarm : Template.fromStack(stack).findResources("AWS::CloudWatch::Alarm", Map.of()).entrySet()) {
                @SuppressWarnings("unchecked") Map<String, Object> props = (Map<String, Object>) alarm.getValue().get("Properties");
                List<Map<String, Object>> named = new java.util.ArrayList<>();
                if (props.containsKey("MetricName")) named.add(props);
                if (props.get("Metrics") instanceof List<?> list) {
                    for (Object q : list) {
                        @SuppressWarnings("unchecked") Map<String, Object> stat = (Map<String, Object>) ((Map<String, Object>) q).get("MetricStat");
                        if (stat != null) {
                            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) stat.get("Metric");
                            named.add(m);
                        }
                    }
                }
                assertThat(named).as(alarm.getKey() + " names its metrics").isNotEmpty();
                for (Map<String, Object> m : named) {
                    String namespace = (String) m.get("Namespace");
                    // AWS's own metrics (the groups' desired capacity) are published by AWS once collection is on.
                    if (namespace.startsWith("AWS/")) continue;
                    Map<String, String> dims = new java.util.TreeMap<>();
                    if (m.get("Dimensions") instanceof List<?> ds) {
                        for (Object d : ds) {
                            @SuppressWarnings("unchecked") Map<String, Object> dm = (Map<String, Object>) d;
                            dims.put((String) dm.get("Name"), String.valueOf(dm.get("Value")));
                        }
                    }
                    MetricKey key = new MetricKey(namespace, (String) m.get("MetricName"), dims);
                    assertThat(emitted).as(stack.getStackName() + "/" + alarm.getKey() + " reads " + key + ", which nothing emits; emitted: "
                            + emitted.stream().filter(e -> e.name().equals(key.name())).toList()).contains(key);
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(10);
    }

    @Test
    void theWebAdapterLayerCanBeNamedWhereAwsPublishesNone() {
        String govCloud = "arn:aws-us-gov:lambda:us-gov-west-1:111122223333:layer:LambdaAdapterLayerX86:3";
        App named = new App(software.amazon.awscdk.AppProps.builder().context(Map.of(GatewayStack.WEB_ADAPTER_CONTEXT, govCloud)).build());
        Template t = Template.fromStack(TiergateApp.build(named, settings).gateway());
        String stream = t.findResources("AWS::Lambda::Function", Map.of("Properties", Map.of("Handler", "run.sh"))).toString();
        assertThat(stream).contains(govCloud).doesNotContain("753240598075");
        App wrong = new App(software.amazon.awscdk.AppProps.builder().context(Map.of(GatewayStack.WEB_ADAPTER_CONTEXT, "LambdaAdapterLayerX86:27")).build());
        assertThatThrownBy(() -> TiergateApp.build(wrong, settings)).hasMessageContaining(GatewayStack.WEB_ADAPTER_CONTEXT + " must be a layer version's ARN");
    }

    @Test
    void theFleetsAmiIsPinnedWhenTheContextSaysSoAndTheSynthWarnsWhenItIsNot() {
        App pinnedApp = new App(AppProps.builder().context(Map.of(Ec2FleetStack.AMI_CONTEXT, "us-east-1=ami-0123456789abcdef0")).build());
        TiergateApp.Stacks pinned = TiergateApp.build(pinnedApp, settings);
        Template t = Template.fromStack(pinned.fleets().get("small"));
        assertThat(t.toJSON().toString()).contains("ami-0123456789abcdef0").doesNotContain("deeplearning/ami");
        assertThat(Annotations.fromStack(stacks.fleets().get("small")).findWarning("*", Match.stringLikeRegexp(".*pin it with -c tiergate:gpu-ami.*")))
                .isNotEmpty();
        assertThatThrownBy(() -> TiergateApp.build(new App(AppProps.builder().context(Map.of(Ec2FleetStack.AMI_CONTEXT, "ami-123")).build()), settings))
                .hasMessageContaining("REGION=ami-ID");
    }

    @Test
    void theGatewayMayReachDiscoveredInstancesOnTheVllmPortOnlyAndTheMonitorFindsThem() {
        Template small = Template.fromStack(stacks.fleets().get("small"));
        // Ingress to the instances: the ALB's group and the functions' group, port 8000 each, nothing else.
        Map<String, Map<String, Object>> ingress = small.findResources("AWS::EC2::SecurityGroupIngress", Map.of());
        String fromFunctions = small.toJSON().toString();
        assertThat(fromFunctions).contains("gateway functions to vLLM");
        small.hasResourceProperties("AWS::EC2::SecurityGroupIngress", Map.of("Description", "gateway functions to vLLM",
                "FromPort", 8000, "ToPort", 8000, "IpProtocol", "tcp"));
        assertThat(ingress.values().stream().map(r -> String.valueOf(((Map<?, ?>) r.get("Properties")).get("FromPort"))).toList()).containsOnly("8000");
        // The instance may write one item: its own registration, keyed by the caller id its role's credentials carry
        // (<role id>:<instance id>), the key the fleet monitor reads for that target.
        small.hasResourceProperties("AWS::IAM::Policy", Map.of("PolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(
                Match.objectLike(Map.of("Action", "dynamodb:PutItem", "Condition",
                        Map.of("ForAllValues:StringEquals", Map.of("dynamodb:LeadingKeys", List.of("instance#${aws:userid}")))))))))));
        assertThat(Ec2FleetStack.REGISTRATION_KEY_POLICY.replace("${aws:userid}", "AROAEXAMPLE:i-1"))
                .isEqualTo(dev.tiergate.adapters.fleet.TargetHealthDiscovery.registrationKey("AROAEXAMPLE", "i-1"));
        String gw = Template.fromStack(stacks.gateway()).toJSON().toString();
        assertThat(gw).contains("TIERGATE_TARGET_GROUPS").contains("elasticloadbalancing:DescribeTargetHealth");
        // The monitor is told each tier's target group and its instances' role id (the role's RoleId attribute).
        assertThat(gw).containsPattern("TIERGATE_TARGET_GROUPS=\\{Fn::Join=\\[, \\[small=, \\{Fn::ImportValue=[^}]*Targets[^}]*\\}, ,, \\{Fn::ImportValue=[^}]*InstanceRole[A-Za-z0-9]*RoleId");
        // The user-data registers the instance's address before it completes its launch hook.
        assertThat(small.toJSON().toString()).contains("dynamodb put-item");
    }

    @Test
    void theConfigParameterHoldsTheSameConfigInWhatSsmAllows() {
        assertThat(settings.configText().length()).as("the example with its comments passes SSM's 8 KB").isGreaterThan(DataStack.PARAMETER_LIMIT);
        String stored = DataStack.storedConfig(settings.configText());
        assertThat(stored.length()).isLessThan(4096);
        // What the functions parse from the parameter is the config the stacks were built from.
        assertThat(dev.tiergate.core.config.ConfigLoader.parse(stored, "ssm:/tiergate/config")).isEqualTo(settings.config());
        Template.fromStack(stacks.data()).hasResourceProperties("AWS::SSM::Parameter", Map.of("Name", "/tiergate/config",
                "Tier", "Standard", "Value", stored));
    }

    @Test
    void theAwsApisTheFunctionsAndInstancesCallStayInsideTheVpcAndNatCanBePerAz() {
        Template t = Template.fromStack(stacks.network());
        // Interface endpoints for what is called on every request or boot; S3 and DynamoDB through gateway endpoints.
        t.resourceCountIs("AWS::EC2::VPCEndpoint", 10);
        String json = t.toJSON().toString();
        assertThat(json).as("no SageMaker tier, no SageMaker Runtime endpoint").doesNotContain(".sagemaker.runtime");
        for (String service : List.of(".ssm", ".secretsmanager", ".sns", ".aps-workspaces", ".xray", ".logs", ".autoscaling", ".elasticloadbalancing")) {
            assertThat(json).as(service).contains(service);
        }
        t.hasResourceProperties("AWS::EC2::VPCEndpoint", Map.of("VpcEndpointType", "Interface", "PrivateDnsEnabled", true));
        t.resourceCountIs("AWS::EC2::NatGateway", 1);
        App perAz = new App(AppProps.builder().context(Map.of(NetworkStack.NAT_PER_AZ_CONTEXT, "true")).build());
        Template.fromStack(TiergateApp.build(perAz, settings).network()).resourceCountIs("AWS::EC2::NatGateway", 2);
    }
}
