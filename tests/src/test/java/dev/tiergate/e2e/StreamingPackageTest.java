package dev.tiergate.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming function's package as Lambda runs it: the build's {@code lwa-package} copied to another folder (as
 * Lambda unzips it into /var/task, with new file times), its {@code run.sh} started as the Web Adapter starts it, and
 * a streamed chat through the official SDK against the local stack's DynamoDB Local and simulators. With
 * {@code -XX:AOTMode=on} the JVM refuses to start unless it can map the package's AOT cache, so this also proves the
 * cache survives the move; the runtime's modules serve the whole request path. (Built on a JDK older than 25, the
 * package's run.sh starts the {@code java} on the path, as Lambda's java21 would.)
 */
class StreamingPackageTest {

    private static final Path PACKAGE = Path.of("..", "functions", "lambda", "target", "lwa-package");

    @Test
    void theRelocatedPackageStartsOnItsOwnRuntimeWithItsCacheAndStreamsAChat(@TempDir Path task) throws Exception {
        assertThat(PACKAGE.resolve("run.sh")).as("built by the functions/lambda module's package phase").isRegularFile();
        copy(PACKAGE, task);
        // Built on JDK 25+ (what the launcher picks when it is there), the package has its own runtime and cache;
        // built on an older one, its run.sh starts Lambda's java, which here is this JDK's.
        boolean own = Runtime.version().feature() >= 25;
        assertThat(Files.isExecutable(task.resolve("jre/bin/java"))).isEqualTo(own);
        assertThat(Files.isRegularFile(task.resolve("tiergate.aot"))).isEqualTo(own);

        try (StackFixture fx = StackFixture.servingDynamoDb(0)) {
            Map<String, String> key = fx.createKey("lwa-team", "lee");
            String replicas = fx.stack.fleet().urls().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue().stream().map(URI::toString).collect(Collectors.joining(",")))
                    .collect(Collectors.joining(";"));
            int port = ChildTiergate.freePort();
            Path log = task.resolveSibling(task.getFileName() + ".log");
            ProcessBuilder pb = new ProcessBuilder("sh", task.resolve("run.sh").toString()).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("TIERGATE_"));
            env.put("LAMBDA_TASK_ROOT", task.toString());
            env.put("JAVA_TOOL_OPTIONS", own ? "-XX:AOTMode=on -Xmx512m" : "-Xmx512m");
            if (!own) env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + java.io.File.pathSeparator + env.getOrDefault("PATH", ""));
            env.put("AWS_LWA_PORT", Integer.toString(port));
            env.put("TIERGATE_CONFIG_FILE", StackFixture.EXAMPLE_CONFIG.toAbsolutePath().toString());
            env.put("TIERGATE_DYNAMODB_ENDPOINT", fx.stack.dynamoEndpoint().orElseThrow().toString());
            env.put("TIERGATE_REPLICAS", replicas);
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_ACCESS_KEY_ID", "local");
            env.put("AWS_SECRET_ACCESS_KEY", "local");
            Process p = pb.start();
            try {
                ChildTiergate.awaitHealthy(p, port, log, Duration.ofSeconds(90));
                OpenAIClient c = OpenAIOkHttpClient.builder().apiKey(key.get("key")).baseUrl("http://127.0.0.1:" + port + "/v1")
                        .maxRetries(0).build();
                List<String> pieces = new ArrayList<>();
                ChatCompletionChunk usage = null;
                try (StreamResponse<ChatCompletionChunk> stream = c.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                        .model("small").addUserMessage("Explain prefix caching.")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
                    for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                        if (chunk.usage().isPresent()) usage = chunk;
                        chunk.choices().forEach(ch -> ch.delta().content().filter(s -> !s.isEmpty()).ifPresent(pieces::add));
                    }
                }
                assertThat(pieces).hasSizeGreaterThan(5);
                assertThat(usage).isNotNull();
                assertThat(usage.usage().orElseThrow().completionTokens()).isPositive();
            } finally {
                p.destroy();
                p.waitFor();
            }
            assertThat(Files.readString(log)).doesNotContain("Unable to use AOT cache").doesNotContain("NoClassDefFoundError");
            // The answer was recorded by the packaged server, in the stack's DynamoDB.
            assertThat(fx.stack.gateway().usage().forTeamDay("lwa-team", java.time.LocalDate.now(java.time.ZoneOffset.UTC))).hasSize(1);
        }
    }

    /**
     * Lambda refuses a function whose package and layers come to more than 250 MB extracted (262,144,000 bytes, the
     * CodeSizeUnzipped that GetAccountSettings reports): the streaming package with room for the Web Adapter layer, and
     * the buffered functions' jar, which Lambda extracts.
     */
    @Test
    void bothLambdaPackagesFitLambdasUnzippedLimit() throws Exception {
        long limit = 262_144_000L;
        long streaming;
        try (Stream<Path> s = Files.walk(PACKAGE)) {
            streaming = s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        assertThat(streaming).as("the streaming package, with 20 MB left for the Web Adapter layer").isLessThan(limit - 20_000_000L);
        long buffered;
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(PACKAGE.resolve("tiergate.jar").toFile())) {
            buffered = jar.stream().mapToLong(e -> Math.max(0, e.getSize())).sum();
        }
        assertThat(buffered).as("the buffered functions' jar, extracted").isLessThan(limit);
    }

    /** A copy with fresh file times (what an unzip gives), keeping the executable bits. */
    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(target);
                else Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                if (Files.isRegularFile(f) && Files.isExecutable(f)) target.toFile().setExecutable(true);
            }
        }
    }
}
