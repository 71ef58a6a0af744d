package dev.tiergate.infra;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.aps.CfnWorkspace;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.StorageClass;
import software.amazon.awscdk.services.s3.Transition;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.amazon.awscdk.services.secretsmanager.SecretStringGenerator;
import software.amazon.awscdk.services.ssm.ParameterTier;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.constructs.Construct;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that holds data and outlives a deploy: the DynamoDB tables (on-demand, point-in-time recovery, encrypted,
 * deletion protection on, retained on stack deletion; TTL on {@code expires_at} where records expire), the buckets for
 * reports and model weights, the config parameter the functions read, the bootstrap admin key's secret, and the
 * Amazon Managed Prometheus workspace.
 */
public final class DataStack extends Stack {

    /** Table name suffix → partition key, sort key (empty: none), TTL attribute (empty: none). Matches TableSetup. */
    static final Map<String, List<String>> TABLES = tableKeys();

    private static Map<String, List<String>> tableKeys() {
        Map<String, List<String>> t = new LinkedHashMap<>();
        t.put("keys", List.of("hash", "", ""));
        t.put("usage", List.of("pk", "sk", ""));
        t.put("ledger", List.of("owner", "period", "expires_at"));
        t.put("reservations", List.of("request_id", "", "expires_at"));
        t.put("budgets", List.of("owner", "", ""));
        t.put("audit", List.of("pk", "sk", ""));
        t.put("idempotency", List.of("request_id", "", "expires_at"));
        t.put("cache", List.of("cache_key", "", "expires_at"));
        t.put("fleet", List.of("replica", "", "expires_at"));
        t.put("semantic-cache", List.of("pk", "sk", "expires_at"));
        return t;
    }

    private final Map<String, Table> tables = new LinkedHashMap<>();
    private final Bucket reports;
    private final Bucket models;
    private final StringParameter configParameter;
    private final Secret adminKey;
    private final Secret hfToken;
    private final CfnWorkspace prometheus;

    public DataStack(Construct scope, String id, StackProps props, DeploySettings settings) {
        super(scope, id, props);
        String prefix = settings.config().tablePrefix();
        TABLES.forEach((name, keys) -> {
            Table.Builder b = Table.Builder.create(this, "Table-" + name).tableName(prefix + "-" + name)
                    .partitionKey(Attribute.builder().name(keys.get(0)).type(AttributeType.STRING).build())
                    .billingMode(BillingMode.PAY_PER_REQUEST).encryption(TableEncryption.AWS_MANAGED)
                    .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder().pointInTimeRecoveryEnabled(true).build())
                    .deletionProtection(true).removalPolicy(RemovalPolicy.RETAIN);
            if (!keys.get(1).isEmpty()) b.sortKey(Attribute.builder().name(keys.get(1)).type(AttributeType.STRING).build());
            if (!keys.get(2).isEmpty()) b.timeToLiveAttribute(keys.get(2));
            Table table = b.build();
            if (name.equals("usage")) {
                table.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder().indexName("by_org_day")
                        .partitionKey(Attribute.builder().name("org_day").type(AttributeType.STRING).build())
                        .sortKey(Attribute.builder().name("sk").type(AttributeType.STRING).build()).build());
            }
            tables.put(name, table);
        });

        Bucket accessLogs = Bucket.Builder.create(this, "AccessLogs").encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL).enforceSsl(true).removalPolicy(RemovalPolicy.RETAIN)
                .objectOwnership(software.amazon.awscdk.services.s3.ObjectOwnership.BUCKET_OWNER_PREFERRED)
                .lifecycleRules(List.of(LifecycleRule.builder().expiration(software.amazon.awscdk.Duration.days(365)).build())).build();
        Nag.suppress(accessLogs, "AwsSolutions-S1", "This is the access-log bucket itself; logging it into itself would loop.");
        reports = Bucket.Builder.create(this, "Reports").encryption(BucketEncryption.KMS_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL).enforceSsl(true).versioned(true).removalPolicy(RemovalPolicy.RETAIN)
                .serverAccessLogsBucket(accessLogs).serverAccessLogsPrefix("reports/")
                .lifecycleRules(List.of(LifecycleRule.builder().id("age-out")
                        .transitions(List.of(Transition.builder().storageClass(StorageClass.INFREQUENT_ACCESS).transitionAfter(Duration.days(90)).build()))
                        .expiration(Duration.days(730)).noncurrentVersionExpiration(Duration.days(30)).build()))
                .build();
        models = Bucket.Builder.create(this, "ModelWeights").encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL).enforceSsl(true).removalPolicy(RemovalPolicy.RETAIN)
                .serverAccessLogsBucket(accessLogs).serverAccessLogsPrefix("models/").build();

        String stored = storedConfig(settings.configText());
        configParameter = StringParameter.Builder.create(this, "Config").parameterName("/tiergate/config")
                .description("tiergate.yaml as compact JSON (YAML reads it), read by every function through Powertools Parameters (cached)")
                .stringValue(stored)
                .tier(stored.length() > 4096 ? ParameterTier.ADVANCED : ParameterTier.STANDARD).build();

        adminKey = Secret.Builder.create(this, "BootstrapAdminKey").description("tiergate bootstrap organisation admin key")
                .generateSecretString(SecretStringGenerator.builder().passwordLength(48).excludePunctuation(true).build()).build();
        Nag.suppress(adminKey, "AwsSolutions-SMG4", "An API key, not a database credential: rotate it by creating a new admin key "
                + "through /admin/keys and revoking this one; there is no rotation Lambda for it.");

        prometheus = CfnWorkspace.Builder.create(this, "Prometheus").alias("tiergate").build();

        CfnOutput.Builder.create(this, "ReportsBucket").value(reports.getBucketName()).build();
        CfnOutput.Builder.create(this, "ModelWeightsBucket").value(models.getBucketName()).build();
        // Created holding 'unset' (no token); its owner puts the token in. Gated models (Llama) do not start without one.
        hfToken = Secret.Builder.create(this, "HuggingFaceToken").description("Hugging Face token the GPU fleets download gated models with")
                .secretStringValue(software.amazon.awscdk.SecretValue.unsafePlainText(dev.tiergate.fleet.FleetFiles.TOKEN_UNSET)).build();
        Nag.suppress(hfToken, "AwsSolutions-SMG4", "A Hugging Face access token, rotated on the hub by its owner; there is no rotation "
                + "Lambda for it.");
        CfnOutput.Builder.create(this, "HuggingFaceTokenSecret").value(hfToken.getSecretName())
                .description("aws secretsmanager put-secret-value --secret-id <this> --secret-string hf_... (gated models need it)").build();
        CfnOutput.Builder.create(this, "AdminKeySecret").value(adminKey.getSecretName())
                .description("aws secretsmanager get-secret-value --secret-id <this> gives the bootstrap admin key").build();
        CfnOutput.Builder.create(this, "PrometheusRemoteWriteUrl").value(remoteWriteUrl()).build();
    }

    /** An SSM parameter holds at most 8 KB (advanced tier; 4 KB standard). */
    static final int PARAMETER_LIMIT = 8192;

    /**
     * The config as the functions read it: the parsed document as compact JSON, which is YAML too. The example's
     * comments alone pass SSM's 8 KB; the settings are a third of that. A config whose settings alone pass it stops the
     * synth with the sizes.
     */
    static String storedConfig(String yamlText) {
        // Decimals as written ("0.10" stays 0.10): prices keep their scale, and the parsed config stays equal.
        Object tree = new org.yaml.snakeyaml.Yaml(new ExactDecimals()).load(yamlText);
        String json;
        try {
            json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the config cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
        int bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > PARAMETER_LIMIT) {
            throw new IllegalArgumentException("the config is " + bytes + " bytes without its comments; an SSM parameter holds "
                    + PARAMETER_LIMIT + ": fewer teams or tiers in tiergate.yaml");
        }
        return json;
    }

    /** YAML's safe constructor, with floats read as the decimals they are written as. */
    private static final class ExactDecimals extends org.yaml.snakeyaml.constructor.SafeConstructor {
        ExactDecimals() {
            super(new org.yaml.snakeyaml.LoaderOptions());
            yamlConstructors.put(org.yaml.snakeyaml.nodes.Tag.FLOAT, new org.yaml.snakeyaml.constructor.AbstractConstruct() {
                @Override
                public Object construct(org.yaml.snakeyaml.nodes.Node node) {
                    return new java.math.BigDecimal(((org.yaml.snakeyaml.nodes.ScalarNode) node).getValue().replace("_", ""));
                }
            });
        }
    }

    public Map<String, Table> tables() {
        return tables;
    }

    public Bucket reports() {
        return reports;
    }

    public Bucket models() {
        return models;
    }

    public StringParameter configParameter() {
        return configParameter;
    }

    public Secret hfToken() {
        return hfToken;
    }

    public Secret adminKey() {
        return adminKey;
    }

    public CfnWorkspace prometheus() {
        return prometheus;
    }

    public String remoteWriteUrl() {
        return prometheus.getAttrPrometheusEndpoint() + "api/v1/remote_write";
    }
}
