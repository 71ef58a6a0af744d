package dev.tiergate.infra;

import dev.tiergate.core.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.SynthesisMessage;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The example config with its medium tier on a SageMaker endpoint: what SageMaker accepts, and who may call it. */
class SageMakerFleetStackTest {

    static final String IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/vllm:0.11-gpu-py312-sagemaker";
    static TiergateApp.Stacks stacks;
    static DeploySettings settings;

    @BeforeAll
    static void synth() throws Exception {
        DeploySettings example = DeploySettings.of(TiergateAppTest.ROOT.resolve("tiergate.yaml"),
                DeploySettings.defaultLambdaJar(TiergateAppTest.ROOT), Optional.empty());
        String yaml = example.configText().replace("      kind: ec2\n      instance_type: g6e.xlarge\n",
                "      kind: sagemaker\n      image: " + IMAGE + "\n      instance_type: ml.g6e.xlarge\n");
        assertThat(yaml).contains("kind: sagemaker");
        settings = new DeploySettings(example.configFile(), yaml, ConfigLoader.parse(yaml, "sagemaker.yaml"),
                example.lambdaJar(), Optional.empty());
        App app = new App(AppProps.builder().outdir(Files.createTempDirectory("cdk-out").toString()).build());
        stacks = TiergateApp.build(app, settings);
        app.synth();
    }

    @Test
    void aGatedCheckpointIsCopiedFromTheWeightsCacheAndNoTokenReachesTheEndpoint() throws Exception {
        // The example's medium tier (Qwen, not gated) downloads from the hub in its container.
        Template medium = Template.fromStack(stacks.fleets().get("medium"));
        medium.hasResourceProperties("AWS::SageMaker::Model", Map.of("PrimaryContainer", Match.objectLike(Map.of(
                "ModelDataSource", Match.absent(), "Environment", Match.objectLike(Map.of("SM_VLLM_MODEL", "Qwen/Qwen2.5-32B-Instruct-AWQ"))))));
        // The large tier's Llama 3.3 is gated: on SageMaker its weights come from the cache EC2 instances fill.
        String yaml = settings.configText().replace("      kind: ec2\n      instance_type: p4d.24xlarge\n",
                "      kind: sagemaker\n      image: " + IMAGE + "\n      instance_type: ml.p4d.24xlarge\n");
        assertThat(yaml).contains("instance_type: ml.p4d.24xlarge");
        DeploySettings gated = new DeploySettings(settings.configFile(), yaml, ConfigLoader.parse(yaml, "gated.yaml"), settings.lambdaJar(), Optional.empty());
        App app = new App(AppProps.builder().outdir(Files.createTempDirectory("cdk-out").toString()).build());
        var large = TiergateApp.build(app, gated).fleets().get("large");
        app.synth();
        Template t = Template.fromStack(large);
        String prefix = dev.tiergate.fleet.ServingProfile.of(gated.config().tierNamed("large")).weightsPrefix();
        t.hasResourceProperties("AWS::SageMaker::Model", Map.of("PrimaryContainer", Match.objectLike(Map.of(
                "Environment", Match.objectLike(Map.of("SM_VLLM_MODEL", dev.tiergate.fleet.SageMakerWeights.MODEL_DIR)),
                "ModelDataSource", Map.of("S3DataSource", Map.of("S3DataType", "S3Prefix", "CompressionType", "None",
                        "S3Uri", Match.objectLike(Map.of("Fn::Join", Match.arrayWith(List.of(Match.arrayWith(List.of("/" + prefix))))))))))));
        assertThat(t.toJSON().toString()).doesNotContain("HF_TOKEN").doesNotContain("secretsmanager");
        // The execution role may read that prefix (and no other), and the synth says the cache must be filled first.
        assertThat(t.toJSON().toString()).contains(prefix + "*");
        assertThat(Annotations.fromStack(large).findWarning("*", Match.anyValue()).stream().map(m -> String.valueOf(m.getEntry().getData())).toList())
                .anyMatch(w -> w.contains("gated checkpoint") && w.contains(prefix));
    }

    @Test
    void aModelInTheOperatorsOwnS3FolderIsCopiedFromThereIntoTheContainer() throws Exception {
        String yaml = settings.configText().replace("model_id: Qwen/Qwen2.5-32B-Instruct-AWQ", "model_id: s3://customer-models/qwen-ft");
        assertThat(yaml).contains("s3://customer-models/qwen-ft");
        DeploySettings own = new DeploySettings(settings.configFile(), yaml, ConfigLoader.parse(yaml, "own.yaml"), settings.lambdaJar(), Optional.empty());
        App app = new App(AppProps.builder().outdir(Files.createTempDirectory("cdk-out").toString()).build());
        Template t = Template.fromStack(TiergateApp.build(app, own).fleets().get("medium"));
        t.hasResourceProperties("AWS::SageMaker::Model", Map.of("PrimaryContainer", Match.objectLike(Map.of(
                "Environment", Match.objectLike(Map.of("SM_VLLM_MODEL", dev.tiergate.fleet.SageMakerWeights.MODEL_DIR)),
                "ModelDataSource", Map.of("S3DataSource", Map.of("S3DataType", "S3Prefix", "CompressionType", "None",
                        "S3Uri", "s3://customer-models/qwen-ft/"))))));
        assertThat(t.toJSON().toString()).contains(":s3:::customer-models/qwen-ft/*");
    }

    @Test
    void anInstanceWithNvmeGetsNoKmsKeyWhichSageMakerWouldRefuse() {
        Template t = Template.fromStack(stacks.fleets().get("medium"));
        Map<String, Map<String, Object>> configs = t.findResources("AWS::SageMaker::EndpointConfig", Map.of());
        assertThat(configs).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> props = (Map<String, Object>) configs.values().iterator().next().get("Properties");
        assertThat(props).doesNotContainKey("KmsKeyId");
        t.resourceCountIs("AWS::KMS::Key", 0);
        assertThat(SageMakerFleetStack.hasInstanceStore("ml.g6e.xlarge")).isTrue();
        assertThat(SageMakerFleetStack.hasInstanceStore("ml.p4d.24xlarge")).isTrue();
        assertThat(SageMakerFleetStack.hasInstanceStore("ml.m5d.large")).isTrue();
        assertThat(SageMakerFleetStack.hasInstanceStore("ml.p3.2xlarge")).isFalse();
        assertThat(SageMakerFleetStack.hasInstanceStore("ml.inf2.xlarge")).isFalse();
    }

    @Test
    void theEndpointIsNamedAsTheGatewayDerivesItAndStartsInTimeForItsWeights() {
        Template t = Template.fromStack(stacks.fleets().get("medium"));
        t.hasResourceProperties("AWS::SageMaker::Endpoint", Map.of("EndpointName", "tiergate-medium"));
        // The weights decide the start-up timeout, as they decide the EC2 grace: 10 minutes + ~100 MB/s.
        long expected = Ec2FleetStack.startupGrace(settings.config().tierNamed("medium").fleet().orElseThrow()).toSeconds().longValue();
        assertThat(expected).isBetween(700L, 3600L);
        t.hasResourceProperties("AWS::SageMaker::EndpointConfig", Map.of("ProductionVariants", List.of(Match.objectLike(Map.of(
                "InstanceType", "ml.g6e.xlarge",
                "ContainerStartupHealthCheckTimeoutInSeconds", (int) expected,
                "ModelDataDownloadTimeoutInSeconds", (int) expected,
                "RoutingConfig", Map.of("RoutingStrategy", "LEAST_OUTSTANDING_REQUESTS"))))));
    }

    @Test
    void theExecutionRolePullsOnlyTheImagesOwnRepository() {
        assertThat(SageMakerFleetStack.imageRepositoryArn(IMAGE)).isEqualTo("arn:aws:ecr:us-east-1:763104351884:repository/vllm");
        assertThat(SageMakerFleetStack.imageRepositoryArn("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/vllm:x"))
                .isEqualTo("arn:aws-cn:ecr:cn-north-1:727897471807:repository/vllm");
        assertThatThrownBy(() -> SageMakerFleetStack.imageRepositoryArn("vllm/vllm-openai:latest")).hasMessageContaining("ECR URI");
        String json = Template.fromStack(stacks.fleets().get("medium")).toJSON().toString();
        assertThat(json).contains("arn:aws:ecr:us-east-1:763104351884:repository/vllm").doesNotContain(":repository/*");
    }

    @Test
    void theRequestPathMayInvokeExactlyTheEndpointAndReachesItFromTheVpc() {
        Template gw = Template.fromStack(stacks.gateway());
        String json = gw.toJSON().toString();
        assertThat(json).contains("sagemaker:InvokeEndpoint").contains(":endpoint/tiergate-medium")
                .contains("medium=sagemaker://tiergate-medium");
        assertThat(json).doesNotContain("tiergate:sagemaker-dispatch");
        assertThat(Template.fromStack(stacks.network()).toJSON().toString()).contains(".sagemaker.runtime");
        List<String> findings = new ArrayList<>();
        for (var s : List.of(stacks.fleets().get("medium"), stacks.gateway(), stacks.network())) {
            for (SynthesisMessage m : Annotations.fromStack(s).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) findings.add(m.getId());
            for (SynthesisMessage m : Annotations.fromStack(s).findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))) findings.add(m.getId());
        }
        assertThat(findings).isEmpty();
    }
}
