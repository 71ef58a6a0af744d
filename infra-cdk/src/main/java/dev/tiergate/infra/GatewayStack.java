package dev.tiergate.infra;

import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;

/** The gateway's stack. Empty for the walking skeleton: it proves the app synthesizes and passes cdk-nag. */
public final class GatewayStack extends Stack {

    public GatewayStack(Construct scope, String id, StackProps props) {
        super(scope, id, props);
    }
}
