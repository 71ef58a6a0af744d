package dev.tiergate.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SageMaker Runtime's wire API in front of simulated containers, for the SDK's {@code sagemakerruntime} client with
 * an endpoint override: {@code POST /endpoints/{name}/invocations} and {@code .../invocations-response-stream}. Each
 * endpoint name has one or more containers (simulator replicas), picked by least outstanding requests as the
 * endpoints tiergate deploys are; the request goes to the container's {@code POST /invocations} over HTTP, as
 * SageMaker's front end sends it.
 *
 * <p>It refuses what SageMaker refuses: an unsigned request (no SigV4 {@code Authorization} for the service
 * {@code sagemaker}, no {@code X-Amz-Date}), an endpoint name SageMaker would not allow or that does not exist, a body
 * above 6 MB. A container's non-200 answer becomes a 424 {@code ModelError} with the container's status and body; a
 * container that takes more than 60 s (SageMaker's limit) a {@code ModelError} too; one that cannot be reached a 503.
 * A stream's bytes go out as {@code PayloadPart} events as they are read, cut wherever a read ends; a container that
 * breaks mid-answer ends the stream with a {@code ModelStreamError} event ({@code StreamBroken}).
 */
public final class SageMakerRuntimeStandIn implements AutoCloseable {

    public static final int MAX_PAYLOAD_BYTES = 6_291_456;
    static final String ACCOUNT = "123456789012";
    private static final Pattern PATH = Pattern.compile("/endpoints/([^/]+)/(invocations|invocations-response-stream)");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9])*");
    private static final Pattern SIGV4 = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=[^/]+/\\d{8}/[a-z0-9-]+/sagemaker/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}");
    private static final Duration CONTAINER_LIMIT = Duration.ofSeconds(60);

    private final Map<String, List<URI>> endpoints;
    private final Map<URI, AtomicInteger> outstanding = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final ObjectMapper json = new ObjectMapper();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).executor(executor)
            .version(HttpClient.Version.HTTP_1_1).build();
    private final HttpServer server;

    private SageMakerRuntimeStandIn(Map<String, List<URI>> endpoints, HttpServer server) {
        this.endpoints = endpoints;
        this.server = server;
    }

    /** @param endpoints each endpoint name with the base URLs of its containers */
    public static SageMakerRuntimeStandIn start(Map<String, List<URI>> endpoints, InetAddress host, int port) {
        Map<String, List<URI>> copy = new LinkedHashMap<>();
        endpoints.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 1024);
            SageMakerRuntimeStandIn standIn = new SageMakerRuntimeStandIn(Map.copyOf(copy), s);
            s.setExecutor(standIn.executor);
            s.createContext("/", standIn::handle);
            s.start();
            return standIn;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the SageMaker Runtime stand-in to " + host.getHostAddress() + ":" + port, e);
        }
    }

    public static SageMakerRuntimeStandIn start(Map<String, List<URI>> endpoints) {
        return start(endpoints, InetAddress.getLoopbackAddress(), 0);
    }

    public URI url() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    /** Invocations that passed the checks and reached a container. */
    public long calls() {
        return calls.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Matcher m = PATH.matcher(ex.getRequestURI().getPath());
            if (!m.matches() || !ex.getRequestMethod().equals("POST")) {
                error(ex, 404, "UnknownOperationException", null);
                return;
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || ex.getRequestHeaders().getFirst("X-Amz-Date") == null) {
                error(ex, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
                return;
            }
            if (!SIGV4.matcher(auth).matches()) {
                error(ex, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
                return;
            }
            String name = java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8);
            if (name.length() > 63 || !NAME.matcher(name).matches()) {
                error(ex, 400, "ValidationError", "1 validation error detected: Value '" + name
                        + "' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*");
                return;
            }
            List<URI> containers = endpoints.get(name);
            if (containers == null || containers.isEmpty()) {
                error(ex, 400, "ValidationError", "Endpoint " + name + " of account " + ACCOUNT + " not found.");
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_PAYLOAD_BYTES + 1);
            }
            if (body.length > MAX_PAYLOAD_BYTES) {
                error(ex, 400, "ValidationError", "Request payload is larger than " + MAX_PAYLOAD_BYTES + " bytes.");
                return;
            }
            boolean stream = m.group(2).equals("invocations-response-stream");
            String contentType = ex.getRequestHeaders().getFirst("Content-Type");
            String accept = stream ? ex.getRequestHeaders().getFirst("X-Amzn-SageMaker-Accept") : ex.getRequestHeaders().getFirst("Accept");
            URI container = leastOutstanding(containers);
            AtomicInteger count = outstanding.computeIfAbsent(container, u -> new AtomicInteger());
            count.incrementAndGet();
            calls.incrementAndGet();
            try {
                invoke(ex, name, container, body, contentType, accept, stream);
            } finally {
                count.decrementAndGet();
            }
        }
    }

    private URI leastOutstanding(List<URI> containers) {
        List<URI> shuffled = new ArrayList<>(containers);
        java.util.Collections.shuffle(shuffled);
        return shuffled.stream().min(Comparator.comparingInt(u -> outstanding.computeIfAbsent(u, k -> new AtomicInteger()).get())).orElseThrow();
    }

    private void invoke(HttpExchange ex, String name, URI container, byte[] body, String contentType, String accept, boolean stream)
            throws IOException {
        HttpRequest.Builder rb = HttpRequest.newBuilder(container.resolve("/invocations"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) rb.header("Content-Type", contentType);
        if (accept != null) rb.header("Accept", accept);
        if (!stream) rb.timeout(CONTAINER_LIMIT);
        HttpResponse<InputStream> res;
        try {
            res = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            modelError(ex, 0, "Your invocation timed out while waiting for a response from container primary.");
            return;
        } catch (IOException e) {
            error(ex, 503, "ServiceUnavailable", "The endpoint " + name + " cannot serve the request right now. Try your call again.");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String modelType = res.headers().firstValue("Content-Type").orElse("application/octet-stream");
        try (InputStream in = res.body()) {
            if (res.statusCode() != 200) {
                modelError(ex, res.statusCode(), new String(in.readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8));
                return;
            }
            ex.getResponseHeaders().set("x-Amzn-Invoked-Production-Variant", "AllTraffic");
            if (!stream) {
                byte[] answer = in.readAllBytes();
                ex.getResponseHeaders().set("Content-Type", modelType);
                ex.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(answer);
                }
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/vnd.amazon.eventstream");
            ex.getResponseHeaders().set("X-Amzn-SageMaker-Content-Type", modelType);
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            byte[] buf = new byte[8192];
            try {
                while (true) {
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (IOException broke) {
                        ObjectNode e = json.createObjectNode();
                        e.put("Message", "Your model primary did not complete sending the inference response: the stream broke.");
                        e.put("ErrorCode", "StreamBroken");
                        out.write(EventStreamFrames.exception("ModelStreamError", json.writeValueAsBytes(e)));
                        out.flush();
                        break;
                    }
                    if (n < 0) break;
                    out.write(EventStreamFrames.payloadPart(java.util.Arrays.copyOf(buf, n)));
                    out.flush();
                }
            } finally {
                out.close();
            }
        }
    }

    private void modelError(HttpExchange ex, int originalStatus, String originalMessage) throws IOException {
        ObjectNode e = json.createObjectNode();
        String kind = originalStatus >= 500 || originalStatus == 0 ? "server" : "client";
        e.put("ErrorCode", kind.equals("client") ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL");
        e.put("LogStreamArn", "arn:aws:logs:us-east-1:" + ACCOUNT + ":log-group:/aws/sagemaker/Endpoints/sim");
        e.put("Message", "Received " + kind + " error (" + originalStatus + ") from primary with message \"" + originalMessage + "\".");
        e.put("OriginalMessage", originalMessage);
        e.put("OriginalStatusCode", originalStatus);
        send(ex, 424, "ModelError", e);
    }

    private void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ObjectNode e = json.createObjectNode();
        if (message != null) e.put("message", message);
        send(ex, status, code, e);
    }

    private void send(HttpExchange ex, int status, String code, ObjectNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("x-amzn-ErrorType", code + ":http://internal.amazon.com/coral/com.amazon.sagemaker/");
        ex.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        http.close();
    }
}
