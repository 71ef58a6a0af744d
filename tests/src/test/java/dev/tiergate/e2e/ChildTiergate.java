package dev.tiergate.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** tiergate's CLI in a child JVM on this test's class path, for tests that need a real process: kill it, flood it. */
final class ChildTiergate {

    private ChildTiergate() {
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts {@code TiergateCli args} with {@code TIERGATE_ADMIN_KEY}, its output to {@code log} and its working folder
     * the log's (where a crash's hs_err file lands).
     */
    static Process start(List<String> jvmOptions, List<String> args, String adminKey, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tiergate.local.TiergateCli"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("TIERGATE_ADMIN_KEY", adminKey);
        pb.directory(log.getParent().toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** Waits until {@code /health} on the port answers 200; fails with the process's output if it exits or times out. */
    static void awaitHealthy(Process p, int port, Path log, Duration within) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI health = URI.create("http://127.0.0.1:" + port + "/health");
        long until = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < until) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!p.isAlive()) throw new IllegalStateException("tiergate exited: " + Files.readString(log));
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("tiergate did not become healthy: " + Files.readString(log));
    }
}
