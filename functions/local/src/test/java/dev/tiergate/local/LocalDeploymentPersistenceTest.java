package dev.tiergate.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tiergate up --data DIR}: keys and usage survive a restart of the local stack, whether DynamoDB Local ran in
 * process (the default) or served over HTTP ({@code --dynamodb-port}): both keep the same database file.
 */
class LocalDeploymentPersistenceTest {

    private static final String ADMIN = "tg-admin-persistence-0123456789";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aKeyCreatedBeforeARestartStillWorksAfterItInProcessOrServed(@TempDir Path data) throws Exception {
        TiergateConfig config = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
        LocalDeployment.Options inProcess = new LocalDeployment.Options(0, 1, 0, 0, data);
        LocalDeployment.Options served = inProcess.withDynamoPort(0);
        String first;
        String second;
        try (LocalDeployment stack = LocalDeployment.start(config, inProcess, ADMIN)) {
            first = createKey(stack.url(), "kim");
        }
        try (LocalDeployment stack = LocalDeployment.start(config, served, ADMIN)) {
            assertThat(stack.dynamoEndpoint()).isPresent();
            assertThat(models(stack.url(), first)).as("a key written in process, read over HTTP").isEqualTo(200);
            second = createKey(stack.url(), "lee");
        }
        try (LocalDeployment stack = LocalDeployment.start(config, inProcess, ADMIN)) {
            assertThat(models(stack.url(), second)).as("a key written over HTTP, read in process").isEqualTo(200);
            assertThat(models(stack.url(), first)).isEqualTo(200);
            assertThat(models(stack.url(), "tg-not-a-key-0123456789abcdef")).isEqualTo(401);
        }
    }

    private String createKey(URI url, String user) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(url.resolve("/admin/keys"))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"team\":\"keep\",\"user\":\"" + user + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        return new ObjectMapper().readTree(created.body()).get("key").asText();
    }

    private int models(URI url, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(url.resolve("/v1/models")).header("Authorization", "Bearer " + key).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
