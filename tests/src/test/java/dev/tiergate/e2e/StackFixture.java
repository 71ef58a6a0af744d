package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.local.LocalDeployment;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** The local stack as the tests use it: the example config, real DynamoDB Local, real simulators, loopback ports. */
final class StackFixture implements AutoCloseable {

    static final String ADMIN_KEY = "tg-admin-e2e-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path EXAMPLE_CONFIG = Path.of("..", "tiergate.yaml");

    final LocalDeployment stack;
    final HttpClient http = HttpClient.newHttpClient();

    StackFixture(double timeScale) throws Exception {
        this(ConfigLoader.load(EXAMPLE_CONFIG), timeScale);
    }

    StackFixture(TiergateConfig config, double timeScale) throws Exception {
        this(config, timeScale, 1);
    }

    StackFixture(TiergateConfig config, double timeScale, int replicas) throws Exception {
        this(config, LocalDeployment.Options.defaults().withPort(0).withTimeScale(timeScale).withReplicas(replicas));
    }

    StackFixture(TiergateConfig config, LocalDeployment.Options options) throws Exception {
        this(config, options, ADMIN_KEY);
    }

    private StackFixture(TiergateConfig config, LocalDeployment.Options options, String adminKey) throws Exception {
        this.stack = LocalDeployment.start(config, options, adminKey);
    }

    /** The stack keeping DynamoDB Local's tables in {@code data}, as {@code up --data}, with this bootstrap admin key. */
    static StackFixture onData(TiergateConfig config, java.nio.file.Path data, String adminKey) throws Exception {
        return new StackFixture(config, new LocalDeployment.Options(0, 1, 0, 0, data), adminKey);
    }

    /**
     * The stack with DynamoDB Local also served over HTTP (as {@code up --dynamodb-port 0}), for a client outside the
     * gateway such as the Lambda handler; the other tests call it in process, as {@code up} does by default.
     */
    static StackFixture servingDynamoDb(double timeScale) throws Exception {
        return new StackFixture(ConfigLoader.load(EXAMPLE_CONFIG), LocalDeployment.Options.defaults().withPort(0).withTimeScale(timeScale).withDynamoPort(0));
    }

    /**
     * The example config with every fleet tier on SageMaker (an ml. instance, a container image): the same tiers,
     * reached through SageMaker Runtime instead of HTTP.
     */
    static TiergateConfig exampleOnSageMaker() throws Exception {
        String yaml = java.nio.file.Files.readString(EXAMPLE_CONFIG)
                .replaceAll("(?m)^([ \\t]+)kind: ec2\\b.*$", "$1kind: sagemaker\n$1image: " + SAGEMAKER_IMAGE)
                .replaceAll("(?m)^(\\s+instance_type: )(?!ml\\.)", "$1ml.");
        if (!yaml.contains("kind: sagemaker")) throw new IllegalStateException("the example config has no ec2 fleet to move");
        return ConfigLoader.parse(yaml, "tiergate.yaml on SageMaker");
    }

    static final String SAGEMAKER_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/vllm:0.11-gpu-py312-sagemaker";

    URI url() {
        return stack.url();
    }

    /** Creates a key through the admin API and returns its id and secret. */
    Map<String, String> createKey(String team, String user) throws Exception {
        return createKey(team, user, "user");
    }

    Map<String, String> createKey(String team, String user, String role) throws Exception {
        HttpResponse<String> res = post("/admin/keys", ADMIN_KEY, "{\"team\":\"" + team + "\",\"user\":\"" + user + "\",\"role\":\"" + role + "\"}");
        if (res.statusCode() != 201) throw new IllegalStateException("key creation failed: " + res.statusCode() + " " + res.body());
        JsonNode n = JSON.readTree(res.body());
        return Map.of("id", n.get("id").asText(), "key", n.get("key").asText());
    }

    HttpResponse<String> post(String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> put(String path, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(url().resolve(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url().resolve(path)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The team's usage records for today (UTC), read back from DynamoDB. */
    List<UsageRecord> usage(String team) {
        stack.gateway().awaitSettlementsWritten(); // the local gateway writes them behind the answer
        return stack.gateway().usage().forTeamDay(team, LocalDate.now(ZoneOffset.UTC));
    }

    @Override
    public void close() {
        stack.close();
    }
}
