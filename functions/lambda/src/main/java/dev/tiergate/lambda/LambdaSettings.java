package dev.tiergate.lambda;

import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a function instance is told by its environment (Lambda environment variables, or system properties of the
 * same name for tests and local invokes):
 * <ul>
 *   <li>{@code TIERGATE_CONFIG_PARAMETER}: the SSM parameter holding tiergate.yaml (what the CDK app sets; read through
 *       Powertools Parameters, cached), or {@code TIERGATE_CONFIG_FILE}: its path, or {@code TIERGATE_CONFIG}: its text;</li>
 *   <li>{@code TIERGATE_REPLICAS}: base URLs of tiers without an endpoint, {@code small=http://a,http://b;large=http://c}
 *       (the fleets' load balancers in AWS);</li>
 *   <li>{@code TIERGATE_TARGET_GROUPS}: each EC2 tier's target group ARN, where the fleet monitor discovers the
 *       instances the gateway then dispatches to directly;</li>
 *   <li>{@code TIERGATE_DYNAMODB_ENDPOINT}: a DynamoDB Local endpoint (tests); otherwise the SDK's own
 *       {@code AWS_ENDPOINT_URL_DYNAMODB} / {@code AWS_ENDPOINT_URL} and credential chain apply;</li>
 *   <li>{@code TIERGATE_ADMIN_KEY_SECRET}: the Secrets Manager secret holding the bootstrap admin key (what the CDK app
 *       sets), or {@code TIERGATE_ADMIN_KEY}: the key itself (tests); installed as a hash at start;</li>
 *   <li>{@code TIERGATE_REPORTS_BUCKET}: the S3 bucket daily reports go to (else a folder under /tmp);</li>
 *   <li>{@code TIERGATE_ALERTS_TOPIC_ARN}: the SNS topic for report summaries and budget warnings (else log lines).</li>
 * </ul>
 */
record LambdaSettings(TiergateConfig config, Map<String, List<URI>> replicas, Optional<URI> dynamoEndpoint,
                      Optional<String> adminKey, Optional<String> reportsBucket, Optional<String> alertsTopicArn) {

    static LambdaSettings read() {
        TiergateConfig config = value("TIERGATE_CONFIG_PARAMETER").map(name -> ConfigLoader.parse(ssm().get(name), "ssm:" + name))
                .or(() -> value("TIERGATE_CONFIG_FILE").map(p -> ConfigLoader.load(Path.of(p))))
                .or(() -> value("TIERGATE_CONFIG").map(text -> ConfigLoader.parse(text, "TIERGATE_CONFIG")))
                .orElseThrow(() -> new IllegalStateException("set TIERGATE_CONFIG_FILE or TIERGATE_CONFIG"));
        return new LambdaSettings(config, replicas(value("TIERGATE_REPLICAS").orElse("")),
                value("TIERGATE_DYNAMODB_ENDPOINT").map(URI::create),
                value("TIERGATE_ADMIN_KEY_SECRET").map(id -> secrets().get(id)).or(() -> value("TIERGATE_ADMIN_KEY")),
                value("TIERGATE_REPORTS_BUCKET"), value("TIERGATE_ALERTS_TOPIC_ARN"));
    }

    /** The SDK clients honour AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SSM / _SECRETS_MANAGER (LocalStack). */
    private static software.amazon.lambda.powertools.parameters.ssm.SSMProvider ssm() {
        return software.amazon.lambda.powertools.parameters.ssm.SSMProvider.builder()
                .withClient(software.amazon.awssdk.services.ssm.SsmClient.builder()
                        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()).build();
    }

    private static software.amazon.lambda.powertools.parameters.secrets.SecretsProvider secrets() {
        return software.amazon.lambda.powertools.parameters.secrets.SecretsProvider.builder()
                .withClient(software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.builder()
                        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()).build();
    }

    /**
     * {@code TIERGATE_TARGET_GROUPS}: each EC2 tier's target group and its instances' role id,
     * {@code small=arn:aws:elasticloadbalancing:...,AROA...;large=arn:...,AROA...}.
     */
    static Map<String, dev.tiergate.adapters.fleet.TargetHealthDiscovery.TierTargets> targetGroups(String spec) {
        Map<String, dev.tiergate.adapters.fleet.TargetHealthDiscovery.TierTargets> out = new java.util.LinkedHashMap<>();
        for (String part : spec.split(";")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            String[] value = eq < 1 ? new String[0] : part.substring(eq + 1).split(",");
            if (value.length != 2 || !value[0].trim().startsWith("arn:") || value[1].isBlank()) {
                throw new IllegalArgumentException("TIERGATE_TARGET_GROUPS looks like tier=arn,roleId;tier=arn,roleId, got '" + part + "'");
            }
            out.put(part.substring(0, eq).trim(), new dev.tiergate.adapters.fleet.TargetHealthDiscovery.TierTargets(value[0].trim(), value[1].trim()));
        }
        return out;
    }

    static Map<String, List<URI>> replicas(String spec) {
        return dev.tiergate.adapters.fleet.StaticFleetRegistry.parse(spec);
    }

    static Optional<String> value(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) v = System.getenv(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }
}
