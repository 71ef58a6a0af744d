package dev.tiergate.adapters.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.GatewayApi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The gateway as a plain HTTP server (the JDK's, one virtual thread per request): the same {@link GatewayApi} the
 * Lambda functions run, on the same paths. Streamed answers are written and flushed event by event.
 */
public final class HttpApiServer implements AutoCloseable {

    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final GatewayApi api;

    private HttpApiServer(GatewayApi api, InetSocketAddress address) throws IOException {
        this.api = api;
        // Small SSE events must leave at once, not wait for Nagle's algorithm.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        this.server = HttpServer.create(address, 1024);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public static HttpApiServer start(GatewayApi api, InetSocketAddress address) throws IOException {
        HttpApiServer s = new HttpApiServer(api, address);
        s.server.start();
        return s;
    }

    public URI url() {
        InetSocketAddress a = server.getAddress();
        return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            // Read one byte past the limit so the gateway can tell "too large" without reading everything.
            body = in.readNBytes(api.maxBodyBytes() + 1);
        }
        Map<String, String> headers = new HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> {
            if (!v.isEmpty()) headers.put(k, v.getFirst());
        });
        ApiRequest request = new ApiRequest(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                query(ex.getRequestURI().getRawQuery()), headers, body);
        ApiResponse response = api.handle(request);
        response.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        switch (response) {
            case ApiResponse.Whole w -> {
                ex.sendResponseHeaders(w.status(), w.body().length == 0 ? -1 : w.body().length);
                if (w.body().length > 0) {
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(w.body());
                    }
                }
                ex.close();
            }
            case ApiResponse.EventStream s -> {
                ex.sendResponseHeaders(s.status(), 0);
                OutputStream out = ex.getResponseBody();
                s.body().writeTo(new ApiResponse.EventSink() {
                    @Override
                    public void data(String data) throws IOException {
                        out.write(("data: " + data).getBytes(StandardCharsets.UTF_8));
                        out.write(EVENT_END);
                        out.flush();
                    }

                    @Override
                    public void comment(String text) throws IOException {
                        out.write((": " + text).getBytes(StandardCharsets.UTF_8));
                        out.write(EVENT_END);
                        out.flush();
                    }
                });
                try {
                    out.close();
                } catch (IOException clientGone) {
                    // the client left; what it used is already recorded
                }
                ex.close();
            }
        }
    }

    /** The JDK's server has already refused a request line with malformed escapes (400), so these decode. */
    static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.putIfAbsent(k, v);
        }
        return q;
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();


    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        server.stop(0);
        executor.shutdownNow();
    }

}
