package dev.tiergate.lambda;

import org.springframework.cloud.function.adapter.aws.FunctionInvoker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Invokes the Lambda handler once with an event file, as the Lambda runtime would, and prints the response and the
 * time from JVM start to the answer (the cold start of this artifact):
 * {@code java -cp tiergate-lambda-*-aws.jar dev.tiergate.lambda.LocalInvoke events/apigateway-chat-completion.json}.
 * The environment is the functions' own (TIERGATE_CONFIG_FILE, TIERGATE_DYNAMODB_ENDPOINT, TIERGATE_REPLICAS, ...);
 * {@code TIERGATE_KEY} replaces the events' {@code REPLACE_WITH_KEY}.
 */
public final class LocalInvoke {

    private LocalInvoke() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: LocalInvoke EVENT.json");
            System.exit(2);
        }
        if (System.getProperty("MAIN_CLASS") == null && System.getenv("MAIN_CLASS") == null) {
            System.setProperty("MAIN_CLASS", TiergateFunctions.class.getName());
        }
        if (System.getenv("SPRING_CLOUD_FUNCTION_DEFINITION") == null) {
            System.setProperty("spring.cloud.function.definition", System.getProperty("spring.cloud.function.definition", "api"));
        }
        String event = Files.readString(Path.of(args[0]));
        String key = System.getenv("TIERGATE_KEY");
        if (key != null) event = event.replace("REPLACE_WITH_KEY", key);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FunctionInvoker().handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        long ms = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println(out.toString(StandardCharsets.UTF_8));
        System.err.println("first answer " + ms + " ms after JVM start");
        // ONNX Runtime crashes the process if it exits while the routing model is still being loaded in the background
        // (a fast first answer can come first), so let that load finish; then end, as Lambda would freeze us.
        dev.tiergate.adapters.routing.PromptEmbeddingModel.awaitLoadsInProgress(java.time.Duration.ofSeconds(30));
        System.exit(0);
    }
}
