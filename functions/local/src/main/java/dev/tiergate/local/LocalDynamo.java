package dev.tiergate.local;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** AWS's DynamoDB Local, in this process, on a loopback port: in memory, or persisted under a folder. */
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
        // Log4j's simple logger instead of log4j-core: DynamoDB Local is its only user here, and it logs only errors
        // either way, but core's start (plugin scan, configuration search) was half of DynamoDB Local's ~0.8 s start.
        if (System.getProperty(LOG4J_CONTEXT_FACTORY) == null) {
            System.setProperty(LOG4J_CONTEXT_FACTORY, "org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
        }
        // -disableTelemetry: a local stack reports nothing to AWS (and setting the telemetry up cost ~0.1 s).
        String[] args = dataDir == null
                ? new String[]{"-inMemory", "-port", Integer.toString(p), "-sharedDb", "-disableTelemetry"}
                : new String[]{"-dbPath", Files.createDirectories(dataDir).toString(), "-port", Integer.toString(p), "-sharedDb", "-disableTelemetry"};
        DynamoDBProxyServer s = ServerRunner.createServerFromCommandLineArgs(args);
        s.start();
        return new LocalDynamo(s, p);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
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
