package dev.tiergate.local;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * AWS's DynamoDB Local, in this process, served over HTTP on a port: in memory, or persisted under a folder. Its server
 * listens on all interfaces (Jetty's default; its command line takes no host), so {@code tiergate up} serves it only
 * when asked ({@code --dynamodb-port}) and otherwise calls it in process ({@link EmbeddedDynamo}).
 */
public final class LocalDynamo implements AutoCloseable {

    private static final String LOG4J_CONTEXT_FACTORY = "log4j2.loggerContextFactory";

    private final DynamoDBProxyServer server;
    private final int port;

    private LocalDynamo(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * @param port    0 picks a free port
     * @param dataDir where to keep the tables between runs; null keeps them in memory
     */
    public static LocalDynamo start(int port, Path dataDir) throws Exception {
        int p = port == 0 ? freePort() : port;
        useSimpleLogger();
        // -disableTelemetry: a local stack reports nothing to AWS (and setting the telemetry up cost ~0.1 s).
        String[] args = dataDir == null
                ? new String[]{"-inMemory", "-port", Integer.toString(p), "-sharedDb", "-disableTelemetry"}
                : new String[]{"-dbPath", Files.createDirectories(dataDir).toString(), "-port", Integer.toString(p), "-sharedDb", "-disableTelemetry"};
        DynamoDBProxyServer s = ServerRunner.createServerFromCommandLineArgs(args);
        s.start();
        return new LocalDynamo(s, p);
    }

    /**
     * Log4j's simple logger instead of log4j-core: DynamoDB Local is its only user here, and it logs only errors either
     * way, but core's start (plugin scan, configuration search) was half of DynamoDB Local's ~0.8 s start.
     */
    static void useSimpleLogger() {
        if (System.getProperty(LOG4J_CONTEXT_FACTORY) == null) {
            System.setProperty(LOG4J_CONTEXT_FACTORY, "org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * A port for DynamoDB Local to listen on, free now and below the kernel's ephemeral range. DynamoDB Local binds
     * the port itself later, so a port the kernel may hand out meanwhile (to a client's connection, or to a server
     * asking for port 0, such as the simulated replicas) could be taken by then: once in ~60 starts of {@code up},
     * whose gateway accepts connections while DynamoDB Local starts, it was.
     */
    static int freePort() throws IOException {
        int ephemeralStart = ephemeralRangeStart();
        int low = Math.max(1024, ephemeralStart - 12_000);
        for (int attempt = 0; attempt < 64; attempt++) {
            int candidate = java.util.concurrent.ThreadLocalRandom.current().nextInt(low, ephemeralStart);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress((InetAddress) null, candidate), 1); // all interfaces, as DynamoDB Local binds
                return candidate;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort(); // a crowded range: the kernel's choice, with the race above
        }
    }

    /** The first port of Linux's ephemeral range; 32768 (its default, below other systems' ranges) when unknown. */
    static int ephemeralRangeStart() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            int start = Integer.parseInt(range[0]);
            return start > 2048 ? start : 32768;
        } catch (IOException | RuntimeException unknown) {
            return 32768;
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping is best effort at shutdown
        }
    }
}
