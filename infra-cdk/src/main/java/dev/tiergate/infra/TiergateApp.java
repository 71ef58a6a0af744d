package dev.tiergate.infra;

import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app: {@code cdk synth} / {@code cdk deploy} run this. Environment-agnostic (no account look-ups), so it
 * synthesizes offline. The stacks grow with the infra issue: data, fleets per tier, gateway, observability, schedules.
 */
public final class TiergateApp {

    private TiergateApp() {}

    public static void main(String[] args) {
        App app = new App();
        build(app);
        app.synth();
    }

    static GatewayStack build(App app) {
        return new GatewayStack(app, "Tiergate", StackProps.builder()
                .description("tiergate: OpenAI-compatible LLM gateway with tiered routing and hard budgets").build());
    }
}
