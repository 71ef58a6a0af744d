package dev.tiergate.infra;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.apigateway.AccessLogFormat;
import software.amazon.awscdk.services.apigateway.GatewayResponseOptions;
import software.amazon.awscdk.services.apigateway.JsonSchema;
import software.amazon.awscdk.services.apigateway.JsonSchemaType;
import software.amazon.awscdk.services.apigateway.LambdaIntegration;
import software.amazon.awscdk.services.apigateway.LogGroupLogDestination;
import software.amazon.awscdk.services.apigateway.MethodLoggingLevel;
import software.amazon.awscdk.services.apigateway.MethodOptions;
import software.amazon.awscdk.services.apigateway.Model;
import software.amazon.awscdk.services.apigateway.RequestValidator;
import software.amazon.awscdk.services.apigateway.Resource;
import software.amazon.awscdk.services.apigateway.ResponseTransferMode;
import software.amazon.awscdk.services.apigateway.ResponseType;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.services.apigateway.StageOptions;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.LayerVersion;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.Tracing;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway: an API Gateway REST API in front of the Lambda functions, and the schedules.
 * <ul>
 *   <li>{@code POST /v1/chat/completions} goes to the streaming function: the Java managed runtime cannot stream a
 *   response, so this function runs tiergate's HTTP server behind the AWS Lambda Web Adapter layer in response-stream
 *   mode, and the integration's response transfer mode is STREAM, so SSE events reach the client as they are made.</li>
 *   <li>{@code POST /v1/completions} too; {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code POST /route} and
 *   {@code GET /health} go to the {@code api} function (buffered).</li>
 *   <li>{@code /admin/*} goes to a separate {@code admin} function with its own role (key and budget writes, audit);
 *   the request path's functions cannot write keys or budgets at all.</li>
 * </ul>
 * Every function is java21 with SnapStart on published versions behind a {@code live} alias (except the streaming one:
 * SnapStart does not apply to a process started by an exec wrapper), inside the VPC to reach the fleets' internal load
 * balancers, with X-Ray tracing and least-privilege table grants.
 */
public final class GatewayStack extends Stack {

    /**
     * AWS Lambda Web Adapter v1.0.0, the public x86_64 layer: layer version 27, published by one account in the aws
     * partition and by one per region in China (none in GovCloud).
     */
    static final int WEB_ADAPTER_LAYER_VERSION = 27;
    static final String WEB_ADAPTER_ACCOUNT = "753240598075";
    static final Map<String, String> WEB_ADAPTER_CHINA_ACCOUNTS = Map.of("cn-north-1", "041581134020", "cn-northwest-1", "069767869989");
    static final String HANDLER = "org.springframework.cloud.function.adapter.aws.FunctionInvoker::handleRequest";

    private final RestApi api;
    private final Map<String, Function> functions = new LinkedHashMap<>();

    public GatewayStack(Construct scope, String id, StackProps props, DeploySettings settings, IVpc vpc, DataStack data,
                        ObservabilityStack observability, Map<String, String> replicaUrls, SecurityGroup sg,
                        Map<String, String> targetGroups) {
        super(scope, id, props);
        String replicas = String.join(";", replicaUrls.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MAIN_CLASS", "dev.tiergate.lambda.TiergateFunctions");
        env.put("TIERGATE_CONFIG_PARAMETER", data.configParameter().getParameterName());
        env.put("TIERGATE_REPLICAS", replicas);
        // Each EC2 tier's target group: the fleet monitor discovers its healthy instances there, and the gateway
        // dispatches to them directly (the load balancer above stays the fallback).
        if (!targetGroups.isEmpty()) {
            env.put("TIERGATE_TARGET_GROUPS", String.join(";", targetGroups.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
        }
        env.put("TIERGATE_REPORTS_BUCKET", data.reports().getBucketName());
        env.put("TIERGATE_ALERTS_TOPIC_ARN", observability.info().getTopicArn());
        env.put("POWERTOOLS_SERVICE_NAME", ObservabilityStack.SERVICE);
        env.put("POWERTOOLS_METRICS_NAMESPACE", settings.config().observability().namespace());
        env.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");

        Code jar = Code.fromAsset(settings.lambdaJar().toString());
        Function apiFn = function("ApiFunction", "api", jar, env, vpc, sg, 2048, Duration.seconds(29), true);
        // Only the admin function knows the bootstrap admin key: it stores its hash in the keys table when it starts,
        // which the request path's functions (read-only on keys) could not do.
        Map<String, String> adminEnv = new LinkedHashMap<>(env);
        adminEnv.put("TIERGATE_ADMIN_KEY_SECRET", data.adminKey().getSecretArn());
        Function admin = function("Admin", "api", jar, adminEnv, vpc, sg, 1024, Duration.seconds(29), true);
        data.adminKey().grantRead(admin);
        Function monitor = function("FleetMonitor", "fleetMonitor", jar, env, vpc, sg, 1024, Duration.seconds(50), true);
        Function report = function("DailyReport", "dailyReport", jar, env, vpc, sg, 2048, Duration.minutes(10), true);
        Function sweeper = function("ReservationSweeper", "reservationSweeper", jar, env, vpc, sg, 1024, Duration.seconds(50), true);
        Function budgetGauge = function("BudgetGauge", "budgetGauge", jar, env, vpc, sg, 1024, Duration.minutes(2), true);

        Map<String, String> streamEnv = new LinkedHashMap<>(env);
        streamEnv.put("AWS_LAMBDA_EXEC_WRAPPER", "/opt/bootstrap");
        streamEnv.put("AWS_LWA_INVOKE_MODE", "response_stream");
        streamEnv.put("AWS_LWA_PORT", "8080");
        streamEnv.put("AWS_LWA_READINESS_CHECK_PATH", "/health");
        Function stream = Function.Builder.create(this, "ChatStream").runtime(Runtime.JAVA_21).architecture(Architecture.X86_64)
                .handler("run.sh").code(streamingPackage(settings.lambdaJar()))
                .layers(List.of(LayerVersion.fromLayerVersionArn(this, "WebAdapter", webAdapterLayerArn())))
                .memorySize(2048).timeout(streamTimeout(settings.config())).environment(streamEnv).tracing(Tracing.ACTIVE)
                .vpc(vpc).vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
                .securityGroups(List.of(sg)).description("tiergate chat completions, streamed (Lambda Web Adapter)").build();
        functions.put("ChatStream", stream);
        logRetention(stream, "ChatStream");

        // Least privilege: the request path reads keys and budgets and writes usage; only admin writes keys and budgets.
        Map<String, software.amazon.awscdk.services.dynamodb.Table> t = data.tables();
        for (Function f : List.of(apiFn, stream)) {
            t.get("keys").grantReadData(f);
            t.get("budgets").grantReadData(f);
            t.get("usage").grantReadWriteData(f);
            for (String rw : List.of("ledger", "reservations", "idempotency", "cache", "fleet", "semantic-cache")) t.get(rw).grantReadWriteData(f);
        }
        for (String rw : List.of("keys", "budgets", "audit", "ledger", "usage", "reservations")) t.get(rw).grantReadWriteData(admin);
        t.get("fleet").grantReadWriteData(monitor);
        if (!targetGroups.isEmpty()) {
            monitor.addToRolePolicy(PolicyStatement.Builder.create().actions(List.of("elasticloadbalancing:DescribeTargetHealth"))
                    .resources(List.of("*")).build());
        }
        for (String r : List.of("usage", "ledger", "budgets")) t.get(r).grantReadData(report);
        for (String rw : List.of("reservations", "ledger", "usage")) t.get(rw).grantReadWriteData(sweeper);
        for (String r : List.of("ledger", "budgets")) t.get(r).grantReadData(budgetGauge);
        data.reports().grantPut(report);
        // SageMaker tiers: the request path invokes exactly their endpoints (SageMaker ARNs carry the name in lower case).
        List<String> sageMakerArns = settings.config().tiers().stream()
                .flatMap(tier -> dev.tiergate.core.fleet.SageMakerEndpoint.of(settings.config(), tier).stream())
                .map(e -> "arn:" + getPartition() + ":sagemaker:" + getRegion() + ":" + getAccount() + ":endpoint/"
                        + e.name().toLowerCase(java.util.Locale.ROOT)).toList();
        if (!sageMakerArns.isEmpty()) {
            for (Function f : List.of(apiFn, stream)) {
                f.addToRolePolicy(PolicyStatement.Builder.create().actions(List.of("sagemaker:InvokeEndpoint")).resources(sageMakerArns).build());
            }
        }
        for (Function f : List.of(apiFn, admin, stream, monitor, report, sweeper, budgetGauge)) {
            data.configParameter().grantRead(f);
            observability.info().grantPublish(f);
            observability.alertsKey().grant(f, "kms:GenerateDataKey*", "kms:Decrypt");
            f.addToRolePolicy(PolicyStatement.Builder.create().actions(List.of("aps:RemoteWrite"))
                    .resources(List.of(data.prometheus().getAttrArn())).build());
            Nag.suppress(f, "AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole: AWS's own minimal "
                    + "policies for logs and VPC network interfaces.", List.of(
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"));
            Nag.suppress(f, "AwsSolutions-IAM5", "DynamoDB grants cover the tables' own indexes (index/*), the reports grant "
                    + "covers the reports bucket's objects, X-Ray's PutTraceSegments takes no resource, and the fleet monitor's "
                    + "DescribeTargetHealth is granted on * (resource-level permissions for it are not documented).");
            Nag.suppress(f, "AwsSolutions-L1", "Pinned to java21 as the architecture requires (SnapStart, measured start-up); "
                    + "java25 is a one-line change once measured.");
        }

        LogGroup access = LogGroup.Builder.create(this, "ApiAccessLogs").retention(RetentionDays.THREE_MONTHS).build();
        // REGIONAL: an EDGE endpoint's CloudFront idle timeout of 30 s would cut a stream between slow tokens; a
        // regional one allows 5 minutes between bytes and 15 minutes in all for a streamed response.
        api = RestApi.Builder.create(this, "RestApi").restApiName("tiergate").description("tiergate OpenAI-compatible gateway")
                .endpointTypes(List.of(software.amazon.awscdk.services.apigateway.EndpointType.REGIONAL))
                .cloudWatchRole(true)
                .deployOptions(StageOptions.builder().stageName("v1").throttlingRateLimit(500).throttlingBurstLimit(1000)
                        .loggingLevel(MethodLoggingLevel.ERROR).tracingEnabled(true)
                        .accessLogDestination(new LogGroupLogDestination(access))
                        .accessLogFormat(AccessLogFormat.jsonWithStandardFields())
                        // Keyed by resource path and method: the admin methods live on /admin/{proxy+} (a key of "/admin/*" named the
                        // /admin resource, which has none, and throttled nothing).
                        .methodOptions(Map.of("/admin/{proxy+}/*", software.amazon.awscdk.services.apigateway.MethodDeploymentOptions.builder().throttlingRateLimit(20).throttlingBurstLimit(40).build()))
                        .build())
                .build();
        // API Gateway's own rejections in the OpenAI error shape, like every answer tiergate gives.
        api.addGatewayResponse("BadBody", GatewayResponseOptions.builder().type(ResponseType.BAD_REQUEST_BODY)
                .templates(Map.of("application/json", "{\"error\":{\"message\":\"$context.error.validationErrorString\","
                        + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_request\"}}")).build());
        api.addGatewayResponse("Throttled", GatewayResponseOptions.builder().type(ResponseType.THROTTLED)
                .templates(Map.of("application/json", "{\"error\":{\"message\":\"Too many requests: the API's rate limit was reached.\","
                        + "\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}")).build());
        RequestValidator validator = RequestValidator.Builder.create(this, "BodyValidator").restApi(api)
                .validateRequestBody(true).validateRequestParameters(true).build();
        Model chatBody = Model.Builder.create(this, "ChatBody").restApi(api).contentType("application/json")
                .schema(JsonSchema.builder().type(JsonSchemaType.OBJECT).required(List.of("messages"))
                        .properties(Map.of("messages", JsonSchema.builder().type(JsonSchemaType.ARRAY).minItems(1).build())).build())
                .build();
        Resource v1 = api.getRoot().addResource("v1");
        Resource chat = v1.addResource("chat").addResource("completions");
        chat.addMethod("POST", LambdaIntegration.Builder.create(stream).proxy(true)
                        .responseTransferMode(ResponseTransferMode.STREAM).timeout(streamTimeout(settings.config())).build(),
                MethodOptions.builder().requestValidator(validator).requestModels(Map.of("application/json", chatBody)).build());
        // Legacy completions stream too; embeddings never do, so the buffered function answers them.
        Model completionBody = Model.Builder.create(this, "CompletionBody").restApi(api).contentType("application/json")
                .schema(JsonSchema.builder().type(JsonSchemaType.OBJECT).required(List.of("prompt")).build()).build();
        v1.addResource("completions").addMethod("POST", LambdaIntegration.Builder.create(stream).proxy(true)
                        .responseTransferMode(ResponseTransferMode.STREAM).timeout(streamTimeout(settings.config())).build(),
                MethodOptions.builder().requestValidator(validator).requestModels(Map.of("application/json", completionBody)).build());
        LambdaIntegration apiIntegration = new LambdaIntegration(alias(apiFn));
        Model embeddingBody = Model.Builder.create(this, "EmbeddingBody").restApi(api).contentType("application/json")
                .schema(JsonSchema.builder().type(JsonSchemaType.OBJECT).required(List.of("input")).build()).build();
        v1.addResource("embeddings").addMethod("POST", apiIntegration,
                MethodOptions.builder().requestValidator(validator).requestModels(Map.of("application/json", embeddingBody)).build());
        v1.addResource("models").addMethod("GET", apiIntegration);
        api.getRoot().addResource("route").addMethod("POST", apiIntegration,
                MethodOptions.builder().requestValidator(validator).requestModels(Map.of("application/json", chatBody)).build());
        api.getRoot().addResource("health").addMethod("GET", apiIntegration);
        api.getRoot().addResource("admin").addProxy(software.amazon.awscdk.services.apigateway.ProxyResourceOptions.builder()
                .defaultIntegration(new LambdaIntegration(alias(admin))).anyMethod(true).build());
        Nag.suppress(api, "AwsSolutions-APIG4", "tiergate authenticates every request itself: a bearer API key whose SHA-256 "
                + "hash is looked up in DynamoDB, with roles (user, team admin, org admin); an authorizer would add a second call.");
        Nag.suppress(api, "AwsSolutions-COG4", "Clients are applications holding tiergate API keys (OpenAI SDKs), not Cognito users.");
        Nag.suppress(api, "AwsSolutions-APIG3", "No WAF web ACL by default (it is billed per ACL and request); attach one to the "
                + "stage if the API faces untrusted networks. Throttling and per-key rate limits apply either way.");
        Nag.suppress(api, "AwsSolutions-IAM4", "API Gateway's account role for CloudWatch logging uses AWS's managed policy.",
                List.of("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"));

        schedule("FleetMonitorEveryMinute", Schedule.rate(Duration.minutes(1)), monitor);
        schedule("SweeperEveryMinute", Schedule.rate(Duration.minutes(1)), sweeper);
        schedule("DailyReportAt0015Utc", Schedule.expression("cron(15 0 * * ? *)"), report);
        schedule("BudgetGaugeEvery15Minutes", Schedule.rate(Duration.minutes(15)), budgetGauge);

        CfnOutput.Builder.create(this, "ApiUrl").value(api.getUrl()).description("base URL for OpenAI SDKs: <this>v1").build();
    }

    private Function function(String id, String definition, Code code, Map<String, String> env, IVpc vpc, SecurityGroup sg,
                              int memory, Duration timeout, boolean snapStart) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("SPRING_CLOUD_FUNCTION_DEFINITION", definition);
        Function f = Function.Builder.create(this, id).runtime(Runtime.JAVA_21).architecture(Architecture.X86_64)
                .handler(HANDLER).code(code).memorySize(memory).timeout(timeout).environment(e).tracing(Tracing.ACTIVE)
                .snapStart(snapStart ? SnapStartConf.ON_PUBLISHED_VERSIONS : null)
                .vpc(vpc).vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
                .securityGroups(List.of(sg)).description("tiergate " + definition).build();
        functions.put(id, f);
        logRetention(f, id);
        return f;
    }

    private void logRetention(Function f, String id) {
        LogGroup.Builder.create(this, id + "Logs").logGroupName("/aws/lambda/" + f.getFunctionName())
                .retention(RetentionDays.THREE_MONTHS).build();
    }

    private Alias alias(Function f) {
        return Alias.Builder.create(this, f.getNode().getId() + "Live").aliasName("live").version(f.getCurrentVersion()).build();
    }

    /**
     * CDK context naming the Web Adapter layer to use instead of AWS's published one: {@code -c
     * tiergate:web-adapter-layer=arn:aws-us-gov:lambda:us-gov-west-1:ACCOUNT:layer:NAME:VERSION}, for GovCloud (where
     * none is published) or a copy published in your own account.
     */
    public static final String WEB_ADAPTER_CONTEXT = "tiergate:web-adapter-layer";

    /**
     * The named layer when the context gives one; else the published layer of the region deployed to, whose
     * publishing account differs in the China regions.
     */
    private String webAdapterLayerArn() {
        Object named = getNode().tryGetContext(WEB_ADAPTER_CONTEXT);
        if (named instanceof String s && !s.isBlank()) {
            if (!s.matches("arn:aws[a-z-]*:lambda:[a-z0-9-]+:\\d{12}:layer:[A-Za-z0-9_-]+:\\d+")) {
                throw new IllegalArgumentException(WEB_ADAPTER_CONTEXT + " must be a layer version's ARN "
                        + "(arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION), got '" + s + "'");
            }
            return s;
        }
        String account = WEB_ADAPTER_ACCOUNT;
        for (Map.Entry<String, String> china : new java.util.TreeMap<>(WEB_ADAPTER_CHINA_ACCOUNTS).entrySet()) {
            software.amazon.awscdk.CfnCondition in = software.amazon.awscdk.CfnCondition.Builder.create(this, "In-" + china.getKey())
                    .expression(software.amazon.awscdk.Fn.conditionEquals(software.amazon.awscdk.Aws.REGION, china.getKey())).build();
            account = software.amazon.awscdk.Token.asString(software.amazon.awscdk.Fn.conditionIf(in.getLogicalId(), china.getValue(), account));
        }
        return "arn:" + software.amazon.awscdk.Aws.PARTITION + ":lambda:" + software.amazon.awscdk.Aws.REGION + ":" + account
                + ":layer:LambdaAdapterLayerX86:" + WEB_ADAPTER_LAYER_VERSION;
    }

    private void schedule(String id, Schedule when, Function f) {
        Rule.Builder.create(this, id).schedule(when).targets(List.of(new LambdaFunction(alias(f)))).build();
    }

    /**
     * The streaming function's package, as the Lambda module's build made it beside the jar ({@code lwa-package}: the
     * jar, the {@code run.sh} the Web Adapter starts, and with a JDK 25 build its own runtime and AOT cache). Its asset
     * hash is the digest the build wrote, so a synth does not read its ~200 MB again.
     */
    static Code streamingPackage(Path jar) {
        Path dir = jar.toAbsolutePath().getParent().resolve("lwa-package");
        Path digest = dir.resolve("package.sha256");
        if (!Files.isRegularFile(digest) || !Files.isRegularFile(dir.resolve("run.sh"))) {
            throw new IllegalStateException("the streaming function's package " + dir + " is missing: build the Lambda module "
                    + "(./mvnw -q -DskipTests package -pl functions/lambda -am)");
        }
        try {
            return Code.fromAsset(dir.toString(), software.amazon.awscdk.services.s3.assets.AssetOptions.builder()
                    .assetHashType(software.amazon.awscdk.AssetHashType.CUSTOM).assetHash(Files.readString(digest).strip()).build());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + digest, e);
        }
    }

    public RestApi api() {
        return api;
    }

    public Map<String, Function> functions() {
        return functions;
    }


    /**
     * A streamed answer's time: the gateway's {@code stream_timeout_ms} and a few seconds to close it, within the 15
     * minutes API Gateway's response streaming and Lambda allow.
     */
    static Duration streamTimeout(dev.tiergate.core.config.TiergateConfig config) {
        long ms = Math.min(dev.tiergate.core.config.GatewaySettings.MAX_STREAM_TIMEOUT_MS, config.gateway().streamTimeoutMs() + 10_000);
        return Duration.seconds(Math.ceil(ms / 1000.0));
    }
}
