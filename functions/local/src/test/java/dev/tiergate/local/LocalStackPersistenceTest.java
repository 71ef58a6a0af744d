package dev.tiergate.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tiergate up --data DIR}: keys and usage survive a restart of the local stack. */
class LocalStackPersistenceTest {

    private static final String ADMIN = "tg-admin-persistence-0123456789";

    @Test
    void aKeyCreatedBeforeARestartStillWorksAfterIt(@TempDir Path data) throws Exception {
        TiergateConfig config = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
        LocalStack.Options options = new LocalStack.Options(0, 1, 0, 0, data, 0);
        HttpClient http = HttpClient.newHttpClient();
        String secret;
        try (LocalStack first = LocalStack.start(config, options, ADMIN)) {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(first.url().resolve("/admin/keys"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"team\":\"keep\",\"user\":\"kim\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).isEqualTo(201);
            secret = new ObjectMapper().readTree(created.body()).get("key").asText();
        }
        try (LocalStack second = LocalStack.start(config, options, ADMIN)) {
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(second.url().resolve("/v1/models"))
                    .header("Authorization", "Bearer " + secret).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
        }
    }
}
