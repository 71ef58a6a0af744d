package dev.tiergate.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 300 connections at once on the real {@code up} process. The first 256 connections are served on platform threads,
 * the rest on virtual threads, which all call DynamoDB Local in process. The process runs on two carrier threads with
 * native reflection accessors, which put a native frame under every call into DynamoDB Local: the conditions under
 * which virtual threads blocked on its lock pinned both carriers and wedged the gateway for good.
 */
class ConnectionFloodTest {

    private static final String ADMIN = "tg-admin-flood-test-0123456789";
    private static final int IDLE = 280;
    private static final int CHATS = 20;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void threeHundredConnectionsAreAllServedAndHealthStaysTrue(@TempDir Path dir) throws Exception {
        int port = ChildTiergate.freePort();
        Path log = dir.resolve("up.log");
        Process up = ChildTiergate.start(List.of("-XX:ActiveProcessorCount=2", "-Djdk.reflect.useNativeAccessorOnly=true"),
                List.of("up", "--config", StackFixture.EXAMPLE_CONFIG.toAbsolutePath().toString(), "--port", Integer.toString(port),
                        "--time-scale", "0.25", "--monitor-seconds", "0"), ADMIN, log);
        List<Socket> idle = new ArrayList<>();
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            ChildTiergate.awaitHealthy(up, port, log, Duration.ofSeconds(90));
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(base.resolve("/admin/keys"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"team\":\"search\",\"user\":\"flood\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String key = StackFixture.JSON.readTree(created.body()).get("key").asText();

            // Idle connections (no key needed to open one) take every platform thread.
            for (int i = 0; i < IDLE; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                idle.add(s);
            }
            Thread.sleep(500);

            String body = "{\"model\":\"small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about GPUs.\"}]}";
            byte[] request = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < CHATS; i++) {
                    answers.add(clients.submit(() -> {
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                            s.setSoTimeout(60_000);
                            go.await();
                            OutputStream out = s.getOutputStream();
                            out.write(request);
                            out.flush();
                            InputStream in = s.getInputStream();
                            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                        }
                    }));
                }
                go.countDown();
                for (Future<String> a : answers) {
                    String answer = a.get();
                    assertThat(answer).startsWith("HTTP/1.1 200").contains("data: [DONE]");
                }
            }
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        } finally {
            for (Socket s : idle) s.close();
            up.destroy();
            if (!up.waitFor(20, TimeUnit.SECONDS)) up.destroyForcibly();
        }
    }
}
