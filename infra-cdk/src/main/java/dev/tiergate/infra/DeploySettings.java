package dev.tiergate.infra;

import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the CDK app is built from: the same {@code tiergate.yaml} the functions read (its text goes to SSM Parameter
 * Store verbatim), the shaded Lambda jar, and the alert e-mail address, if any. Read from CDK context
 * ({@code -c config=…}) or the environment ({@code TIERGATE_CONFIG_FILE}, {@code TIERGATE_LAMBDA_JAR},
 * {@code TIERGATE_ALERT_EMAIL}), with defaults that work from {@code infra-cdk/}.
 */
public record DeploySettings(Path configFile, String configText, TiergateConfig config, Path lambdaJar,
                             Optional<String> alertEmail) {

    public static DeploySettings of(Path configFile, Path lambdaJar, Optional<String> alertEmail) {
        String text;
        try {
            text = Files.readString(configFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the config " + configFile.toAbsolutePath(), e);
        }
        if (!Files.isRegularFile(lambdaJar)) {
            throw new IllegalStateException("the Lambda jar " + lambdaJar.toAbsolutePath() + " is missing: build it first "
                    + "(./mvnw -q -DskipTests package -pl functions/lambda -am)");
        }
        return new DeploySettings(configFile, text, ConfigLoader.parse(text, configFile.toString()), lambdaJar, alertEmail);
    }

    public static Path defaultLambdaJar(Path root) {
        return root.resolve("functions/lambda/target/tiergate-lambda-0.1.0-SNAPSHOT-aws.jar");
    }
}
