package dev.tiergate.lambda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds the streaming function's Lambda package (run by the build after the shaded jar, {@code lwa-package/} beside
 * it): the jar, the {@code run.sh} the Web Adapter starts, and, when the building JDK is 25 or newer, a runtime of its
 * own ({@code jre/}, jlink) with a JDK AOT cache ({@code tiergate.aot}) that runtime recorded while starting the
 * server once. The process behind the Web Adapter cannot restore from SnapStart, so without the cache every cold start
 * loads and links the gateway's classes from the jar; with it they are mapped. The cache serves only the JDK build
 * that made it, hence the runtime in the package (Lambda's java21 has no AOT cache). Built with an older JDK, the
 * package is the jar and a {@code run.sh} on Lambda's own {@code java}.
 */
public final class StreamingPackage {

    /**
     * The runtime's modules: what {@code jdeps --print-module-deps} reports for the shaded jar (51 s to compute, so kept
     * here), plus {@code jdk.management}, {@code jdk.charsets} and {@code jdk.zipfs}: small modules a library may load
     * by name, which jdeps cannot see (a precaution).
     * A missing module fails only when its class is first used: the package's end-to-end test serves a streamed chat
     * through this runtime.
     */
    static final List<String> MODULES = List.of("java.base", "java.compiler", "java.desktop", "java.instrument",
            "java.management", "java.naming", "java.net.http", "java.prefs", "java.scripting", "java.security.jgss", "java.sql",
            "jdk.jfr", "jdk.unsupported", "jdk.management", "jdk.charsets", "jdk.zipfs");
    /** The JDK release whose AOT cache (JEP 483, with method profiles from JEP 515) the package uses. */
    static final int AOT_JDK = 25;

    private StreamingPackage() {
    }

    /** {@code StreamingPackage JAR OUTPUT_DIR CONFIG_FILE}: the config is the one the training start reads. */
    public static void main(String[] args) throws Exception {
        if (args.length != 3) throw new IllegalArgumentException("usage: StreamingPackage JAR OUTPUT_DIR CONFIG_FILE");
        Path out = build(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(System.getProperty("java.home")));
        System.out.println("streaming package: " + out + (Files.exists(out.resolve("tiergate.aot")) ? " (own runtime and AOT cache)" : ""));
    }

    static Path build(Path jar, Path out, Path config, Path javaHome) throws Exception {
        delete(out);
        Files.createDirectories(out);
        Files.copy(jar, out.resolve("tiergate.jar"), StandardCopyOption.REPLACE_EXISTING);
        Path jlink = javaHome.resolve("bin/jlink");
        boolean own = Runtime.version().feature() >= AOT_JDK && Files.isExecutable(jlink);
        Path run = out.resolve("run.sh");
        Files.writeString(run, own ? OWN_RUNTIME : LAMBDA_RUNTIME);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (own) {
            exec(List.of(jlink.toString(), "--add-modules", String.join(",", MODULES), "--strip-debug", "--no-header-files",
                    "--no-man-pages", "--compress", "zip-6", "--output", out.resolve("jre").toString()), Duration.ofMinutes(3));
            copySymlinks(out.resolve("jre"));
            train(out, config);
        }
        Files.writeString(out.resolve("package.sha256"), digest(out));
        return out;
    }

    /**
     * What the Web Adapter starts with the package's runtime. {@code TIERGATE_AOT_TRAINING} (set only by the build)
     * records the cache instead of reading it, so the training start runs this same command line. Serial GC: a
     * function of 2 GB has about one vCPU, and the training and the function must agree on the collector for the cache's
     * heap objects to be used. The JVM reads {@code JAVA_TOOL_OPTIONS} itself.
     */
    static final String OWN_RUNTIME = """
            #!/bin/sh
            # Started by the AWS Lambda Web Adapter: tiergate's HTTP API on AWS_LWA_PORT, answers streamed, on the
            # package's own JDK runtime with the AOT cache it recorded at build time (the classes a start loads, mapped).
            root="${LAMBDA_TASK_ROOT:-/var/task}"
            if [ -n "${TIERGATE_AOT_TRAINING:-}" ]; then aot="-XX:AOTCacheOutput=$TIERGATE_AOT_TRAINING"; else aot="-XX:AOTCache=$root/tiergate.aot"; fi
            exec "$root/jre/bin/java" $aot -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$root/tiergate.jar" dev.tiergate.lambda.StreamingServer
            """;

    /** Built with a JDK older than 25: Lambda's own java, no cache. */
    static final String LAMBDA_RUNTIME = """
            #!/bin/sh
            # Started by the AWS Lambda Web Adapter: tiergate's HTTP API on AWS_LWA_PORT, answers streamed.
            exec java -cp "${LAMBDA_TASK_ROOT:-/var/task}/tiergate.jar" dev.tiergate.lambda.StreamingServer
            """;

    /**
     * Starts the server once through {@code run.sh} as the function would (no AWS: a DynamoDB endpoint that refuses, so
     * health answers at once), asks it what a cold function is asked first (its health, then an unauthenticated chat),
     * and stops it: the JVM writes the cache as it exits.
     */
    private static void train(Path out, Path config) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = out.resolveSibling(out.getFileName() + "-training.log");
        ProcessBuilder pb = new ProcessBuilder("sh", out.resolve("run.sh").toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("TIERGATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        env.putAll(Map.of("LAMBDA_TASK_ROOT", out.toString(), "TIERGATE_AOT_TRAINING", out.resolve("tiergate.aot").toString(),
                "AWS_LWA_PORT", Integer.toString(port), "TIERGATE_CONFIG_FILE", config.toAbsolutePath().toString(),
                "TIERGATE_DYNAMODB_ENDPOINT", "http://127.0.0.1:9", "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", "training", "AWS_SECRET_ACCESS_KEY", "training"));
        Process p = pb.start();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            URI base = URI.create("http://127.0.0.1:" + port);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (true) {
                if (!p.isAlive()) throw new IllegalStateException("the training start ended (exit " + p.exitValue() + "); see " + log);
                try {
                    http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                    break;
                } catch (IOException e) {
                    if (Instant.now().isAfter(deadline)) throw new IllegalStateException("the training start did not answer in 2 minutes; see " + log);
                    Thread.sleep(50);
                }
            }
            http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.discarding());
        } finally {
            p.destroy();
            if (!p.waitFor(2, TimeUnit.MINUTES)) p.destroyForcibly();
        }
        if (!Files.isRegularFile(out.resolve("tiergate.aot"))) throw new IllegalStateException("the training start wrote no AOT cache; see " + log);
    }

    /** The runtime's legal notices are symlinks into other modules' folders; copies keep the package a plain tree. */
    private static void copySymlinks(Path dir) throws IOException {
        List<Path> links;
        try (Stream<Path> s = Files.walk(dir)) {
            links = s.filter(Files::isSymbolicLink).toList();
        }
        for (Path link : links) {
            Path target = link.toRealPath();
            Files.delete(link);
            Files.copy(target, link);
        }
    }

    /** SHA-256 over the package's files (names and bytes, in name order): the CDK app's asset hash, read, not recomputed. */
    static String digest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("package.sha256")).toList());
        }
        files.sort(Comparator.comparing(f -> dir.relativize(f).toString()));
        byte[] buffer = new byte[1 << 16];
        for (Path f : files) {
            md.update(dir.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (var in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buffer)) > 0; ) md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void exec(List<String> command, Duration timeout) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.getFirst() + " did not finish in " + timeout);
        }
        if (p.exitValue() != 0) throw new IllegalStateException(command.getFirst() + " failed with exit " + p.exitValue());
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
