package dev.tiergate.lambda;

import dev.tiergate.adapters.http.HttpApiServer;
import dev.tiergate.adapters.wiring.Gateway;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The streaming chat function's process. The Java managed runtime cannot stream a Lambda response, so this function
 * runs behind the AWS Lambda Web Adapter layer in response-stream mode: the adapter starts this main (through the
 * package's {@code run.sh}), waits for {@code /health}, and relays each invocation to it as HTTP, streaming the answer's
 * SSE events back to API Gateway (integration response transfer mode STREAM) as they are written.
 * The same gateway object graph as every other function, on the same paths.
 */
public final class StreamingServer {

    private StreamingServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("AWS_LWA_PORT", System.getenv().getOrDefault("PORT", "8080")));
        Gateway gateway = TiergateFunctions.gateway(false);
        HttpApiServer server = HttpApiServer.start(gateway.api(), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            gateway.close();
        }));
        Thread.currentThread().join();
    }
}
