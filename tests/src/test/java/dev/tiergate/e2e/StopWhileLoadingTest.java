package dev.tiergate.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tiergate up} stopped (SIGTERM, as Ctrl-C or a process manager does) right after its first auto-routed request,
 * which starts the routing model's load: the JVM used to crash in ONNX Runtime (SIGSEGV in createSession, an
 * {@code hs_err} file) because ONNX Runtime's own shutdown hook freed its environment under the load. Now the stack
 * stops in order first. A real child process, as a user runs it.
 * <p>
 * The crash was a race, and this test hits its window rarely: against the old stop it crashed in 1 of about 14 runs
 * here (by hand, a SIGTERM right after the first auto-routed request crashed at once). What it checks every time is
 * that a stop during the load ends cleanly.
 */
class StopWhileLoadingTest {

    private static final String ADMIN = "tg-admin-stop-test-0123456789";

    @Test
    void aStopDuringTheRoutingModelsLoadExitsCleanly(@TempDir Path dir) throws Exception {
        int port = ChildTiergate.freePort();
        Path log = dir.resolve("up.log");
        Process up = ChildTiergate.start(List.of("-XX:TieredStopAtLevel=1"), List.of("up", "--config",
                StackFixture.EXAMPLE_CONFIG.toAbsolutePath().toString(), "--port", Integer.toString(port), "--time-scale", "0",
                "--monitor-seconds", "0"), ADMIN, log);
        try {
            HttpClient http = HttpClient.newHttpClient();
            ChildTiergate.awaitHealthy(up, port, log, Duration.ofSeconds(60));
            // An auto-routed request is the first to need the routing model: its load starts in the background now.
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"What is a GPU?\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);

            // Stop as early inside the window as can be seen from outside: ONNX Runtime's native library is mapped (its
            // environment and shutdown hook come next) and the session is about to be built. Before the library is
            // there, a stop finds no ONNX hook yet and would test nothing.
            Path maps = Path.of("/proc", Long.toString(up.pid()), "maps");
            long mapped = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (up.isAlive() && System.nanoTime() < mapped && !Files.readString(maps).contains("libonnxruntime")) Thread.sleep(1);
            assertThat(Files.readString(maps)).as("the routing model's load never started").contains("libonnxruntime");
            up.destroy(); // SIGTERM
            assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(log);
            assertThat(out).doesNotContain("A fatal error has been detected").doesNotContain("SIGSEGV");
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
            }
            // 128 + SIGTERM, as when the JVM stops on the signal by itself: the stop ran in order and the process ended.
            assertThat(up.exitValue()).as(out).isEqualTo(143);
        } finally {
            up.destroyForcibly().waitFor();
        }
    }
}
