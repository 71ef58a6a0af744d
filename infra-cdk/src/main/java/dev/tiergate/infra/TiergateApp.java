package dev.tiergate.infra;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The CDK app: {@code cdk synth} / {@code cdk deploy} run this, and {@code bin/tiergate synth --out DIR} too.
 * Environment-agnostic (no account look-ups), so it synthesizes offline. Built from {@code tiergate.yaml}: a network, the
 * data, one fleet per tier that has one (EC2 or SageMaker), observability and the gateway. The capacity planner checks
 * every fleet first and stops the synth when a tier's model cannot fit its instance. cdk-nag's AWS Solutions checks run
 * on every synth.
 */
public final class TiergateApp {

    /** The stacks, for tests and callers. */
    public record Stacks(NetworkStack network, DataStack data, Map<String, software.amazon.awscdk.Stack> fleets,
                         ObservabilityStack observability, GatewayStack gateway) {}

    private TiergateApp() {}

    public static void main(String[] args) {
        Path root = Path.of(System.getenv().getOrDefault("TIERGATE_ROOT", ".."));
        String out = args.length >= 2 && args[0].equals("--out") ? args[1] : null;
        App app = out == null ? new App() : new App(AppProps.builder().outdir(out).build());
        Object cfgContext = app.getNode().tryGetContext("config");
        Path config = cfgContext != null ? Path.of(cfgContext.toString())
                : Path.of(System.getenv().getOrDefault("TIERGATE_CONFIG_FILE", root.resolve("tiergate.yaml").toString()));
        Path jar = Path.of(System.getenv().getOrDefault("TIERGATE_LAMBDA_JAR", DeploySettings.defaultLambdaJar(root).toString()));
        DeploySettings settings = DeploySettings.of(config, jar, Optional.ofNullable(System.getenv("TIERGATE_ALERT_EMAIL")));
        for (CapacityCheck.Finding f : CapacityCheck.check(settings.config())) System.err.println("capacity: " + f.message());
        try {
            build(app, settings);
        } catch (IllegalArgumentException impossible) {
            System.err.println("tiergate: " + impossible.getMessage());
            System.exit(1);
        }
        app.synth();
    }

    public static Stacks build(App app, DeploySettings settings) {
        CapacityCheck.requireFits(settings.config());
        String prefix = "Tiergate";
        StackProps props = StackProps.builder().description("tiergate: OpenAI-compatible LLM gateway with tiered routing and hard budgets").build();
        NetworkStack network = new NetworkStack(app, prefix + "Network", props, settings.config().tiers().stream()
                .anyMatch(t -> dev.tiergate.core.fleet.SageMakerEndpoint.of(settings.config(), t).isPresent()));
        DataStack data = new DataStack(app, prefix + "Data", props, settings);
        ObservabilityStack observability = new ObservabilityStack(app, prefix + "Observability", props, settings.config(), settings.alertEmail());
        Map<String, software.amazon.awscdk.Stack> fleets = new LinkedHashMap<>();
        Map<String, String> replicaUrls = new LinkedHashMap<>();
        Map<String, String> targetGroups = new LinkedHashMap<>();
        for (TierConfig t : settings.config().tiers()) {
            if (t.fleet().isEmpty()) continue;
            String id = prefix + "Fleet-" + t.name();
            if (t.fleet().get().kind() == FleetSpec.Kind.EC2) {
                Ec2FleetStack f = new Ec2FleetStack(app, id, props, t, network.vpc(), network.functionsSecurityGroup(), data, observability.info(),
                        settings.config().observability().namespace());
                fleets.put(t.name(), f);
                replicaUrls.put(t.name(), f.endpoint());
                // The fleet monitor's look-up: the target group, and the role whose instances' registrations count.
                targetGroups.put(t.name(), f.targetGroupArn() + "," + f.instanceRoleId());
            } else {
                SageMakerFleetStack f = new SageMakerFleetStack(app, id, props, settings.config(), t, network.vpc(), data);
                fleets.put(t.name(), f);
                replicaUrls.put(t.name(), f.endpointName().address().toString());
            }
        }
        GatewayStack gateway = new GatewayStack(app, prefix + "Gateway", props, settings, network.vpc(), data, observability, replicaUrls,
                network.functionsSecurityGroup(), targetGroups);
        Tags.of(app).add("application", "tiergate");
        Aspects.of(app).add(new AwsSolutionsChecks());
        return new Stacks(network, data, fleets, observability, gateway);
    }
}
