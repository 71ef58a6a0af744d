package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real Prometheus server (the Debian package; .ci/run installs it) on a loopback port with the remote-write receiver
 * on and a throw-away TSDB. Fails loudly when the binary is missing: this test is never skipped.
 */
final class RealPrometheus implements AutoCloseable {

    private final Process process;
    final URI url;
    private final Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    RealPrometheus() throws Exception {
        String binary = Files.isExecutable(Path.of("/usr/bin/prometheus")) ? "/usr/bin/prometheus" : "prometheus";
        dir = Files.createTempDirectory("prometheus-test");
        Files.writeString(dir.resolve("prometheus.yml"), "global:\n  scrape_interval: 1m\n");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        url = URI.create("http://127.0.0.1:" + port);
        process = new ProcessBuilder(binary, "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(url.resolve("/-/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
            } catch (IOException notYet) {
                // starting
            }
            if (!process.isAlive()) throw new IllegalStateException("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
            if (System.nanoTime() > until) throw new IllegalStateException("prometheus did not become ready in 30 s");
            Thread.sleep(100);
        }
    }

    URI writeUrl() {
        return url.resolve("/api/v1/write");
    }

    /** An instant query; the {@code data.result} array. */
    JsonNode query(String promql) throws Exception {
        String q = URLEncoder.encode(promql, StandardCharsets.UTF_8);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/api/v1/query?query=" + q)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode n = StackFixture.JSON.readTree(r.body());
        if (!"success".equals(n.path("status").asText())) throw new IllegalStateException("query failed: " + r.body());
        return n.at("/data/result");
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
