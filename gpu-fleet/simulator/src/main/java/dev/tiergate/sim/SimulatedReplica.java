package dev.tiergate.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One simulated vLLM OpenAI-compatible server on a loopback port: the endpoints of vLLM's OpenAI server with their
 * answers and errors, the {@code vllm:} metrics, a prefix cache, and faults that can be changed while it runs
 * ({@code POST /admin/faults}).
 */
public final class SimulatedReplica implements AutoCloseable {

    private static final int MAX_BODY_BYTES = 32 * 1024 * 1024;

    private final ReplicaSettings settings;
    private final InetAddress host;
    private final int port;
    private final ObjectMapper json = new ObjectMapper();
    private final Engine engine;
    private final PrefixCache cache;
    private final VllmMetrics metrics;
    private final GenerationEndpoint generation;
    private final AtomicReference<Faults> faults;
    private final AtomicLong notReadyUntil = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch bound = new CountDownLatch(1);
    private volatile HttpServer server;
    private volatile boolean closed;

    private SimulatedReplica(ReplicaSettings settings, InetAddress host, int port, PromptTokenizer tokenizer) {
        this.settings = settings;
        this.host = host;
        this.port = port;
        this.engine = new Engine(settings);
        this.cache = new PrefixCache(settings.blockSize(), settings.kvCacheBlocks());
        this.metrics = new VllmMetrics(settings.servedModelName(), engine::running, engine::waiting, engine::kvCacheUsage, cache);
        this.faults = new AtomicReference<>(settings.faults());
        this.generation = new GenerationEndpoint(settings, engine, cache, metrics, tokenizer, json, faults::get);
    }

    /**
     * Starts a replica on {@code host:port} (port 0 picks a free one). With {@code ready_after_ms} set in the start-up
     * faults, the port refuses connections until that time has passed, as a vLLM server loading its model does.
     */
    public static SimulatedReplica start(ReplicaSettings settings, InetAddress host, int port, PromptTokenizer tokenizer) {
        int chosen = port == 0 ? freePort(host) : port;
        SimulatedReplica r = new SimulatedReplica(settings, host, chosen, tokenizer);
        long delay = settings.faults().readyAfterMs();
        if (delay <= 0) {
            r.bind();
        } else {
            Thread.ofVirtual().name("sim-ready-" + chosen).start(() -> {
                try {
                    Thread.sleep(delay);
                    if (!r.closed) r.bind();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        return r;
    }

    public static SimulatedReplica start(ReplicaSettings settings) {
        return start(settings, InetAddress.getLoopbackAddress(), 0, new PromptTokenizer());
    }

    private void bind() {
        try {
            // Read once by the JDK when its first HTTP server starts: small SSE writes must not wait for Nagle's
            // algorithm (with delayed ACKs that is 40 ms a chunk).
            System.setProperty("sun.net.httpserver.nodelay", "true");
            HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 1024);
            s.setExecutor(executor);
            s.createContext("/", this::route);
            s.start();
            server = s;
            bound.countDown();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind simulator replica to " + host.getHostAddress() + ":" + port, e);
        }
    }

    /** Waits until the port accepts connections; false if it did not within the time. */
    public boolean awaitBound(long timeout, TimeUnit unit) throws InterruptedException {
        return bound.await(timeout, unit);
    }

    public URI baseUrl() {
        return URI.create("http://" + host.getHostAddress() + ":" + port);
    }

    public int port() { return port; }

    public ReplicaSettings settings() { return settings; }

    public VllmMetrics metrics() { return metrics; }

    public PrefixCache prefixCache() { return cache; }

    public Faults faults() { return faults.get(); }

    /** Generation requests this replica has received, whatever became of them. */
    public long received() { return received.get(); }

    /** The most requests this replica's engine held at once (running or queued) since it started. */
    public long mostAtOnce() { return engine.mostAtOnce(); }

    /** Replaces the faults; a non-zero {@code ready_after_ms} makes the replica unready for that long from now. */
    public void setFaults(Faults f) {
        faults.set(f);
        notReadyUntil.set(f.readyAfterMs() > 0 ? System.currentTimeMillis() + f.readyAfterMs() : 0);
    }

    public boolean ready() {
        return System.currentTimeMillis() >= notReadyUntil.get();
    }

    /**
     * Closes the exchange only on a normal return: an injected drop must propagate so that the server closes the
     * socket mid-answer instead of finishing the chunked body.
     */
    private void route(HttpExchange ex) throws IOException {
        {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case "/health" -> health(ex, method, "GET");
                case "/ping" -> health(ex, method, null);
                case "/version" -> only(ex, method, "GET", () -> sendJson(ex, 200, json.createObjectNode().put("version", "0.21.0+sim")));
                case "/metrics" -> only(ex, method, "GET", () -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.render().getBytes(StandardCharsets.UTF_8)));
                case "/v1/models" -> only(ex, method, "GET", () -> guarded(ex, () -> sendJson(ex, 200, models())));
                case "/v1/chat/completions" -> only(ex, method, "POST", () -> guarded(ex, () -> generate(ex, GenerationEndpoint.Kind.CHAT)));
                case "/v1/completions" -> only(ex, method, "POST", () -> guarded(ex, () -> generate(ex, GenerationEndpoint.Kind.COMPLETION)));
                case "/v1/embeddings" -> only(ex, method, "POST", () -> guarded(ex, () -> generate(ex, GenerationEndpoint.Kind.EMBEDDING)));
                case "/invocations" -> only(ex, method, "POST", () -> generate(ex, null));
                case "/admin/faults" -> adminFaults(ex, method);
                default -> sendJson(ex, 404, json.createObjectNode().put("detail", "Not Found"));
            }
        }
        ex.close();
    }

    private interface Action {
        void run() throws IOException;
    }

    private void only(HttpExchange ex, String method, String allowed, Action action) throws IOException {
        if (!method.equals(allowed)) {
            ex.getResponseHeaders().set("Allow", allowed);
            sendJson(ex, 405, json.createObjectNode().put("detail", "Method Not Allowed"));
            return;
        }
        action.run();
    }

    private void health(HttpExchange ex, String method, String allowed) throws IOException {
        if (allowed != null && !method.equals(allowed)) {
            sendJson(ex, 405, json.createObjectNode().put("detail", "Method Not Allowed"));
            return;
        }
        send(ex, ready() ? 200 : 503, "application/json", new byte[0]);
    }

    /** vLLM checks the API key only on /v1 paths, and answers a bare {"error":"Unauthorized"}. */
    private void guarded(HttpExchange ex, Action action) throws IOException {
        if (settings.apiKey().isPresent()) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.equals("Bearer " + settings.apiKey().get())) {
                sendJson(ex, 401, json.createObjectNode().put("error", "Unauthorized"));
                return;
            }
        }
        action.run();
    }

    private ObjectNode models() {
        long created = System.currentTimeMillis() / 1000;
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ObjectNode card = root.putArray("data").addObject();
        card.put("id", settings.servedModelName());
        card.put("object", "model");
        card.put("created", created);
        card.put("owned_by", "vllm");
        card.put("root", settings.modelRoot());
        card.putNull("parent");
        card.put("max_model_len", settings.maxModelLen());
        ObjectNode perm = card.putArray("permission").addObject();
        perm.put("id", "modelperm-sim");
        perm.put("object", "model_permission");
        perm.put("created", created);
        perm.put("allow_create_engine", false);
        perm.put("allow_sampling", true);
        perm.put("allow_logprobs", true);
        perm.put("allow_search_indices", false);
        perm.put("allow_view", true);
        perm.put("allow_fine_tuning", false);
        perm.put("organization", "*");
        perm.putNull("group");
        perm.put("is_blocking", false);
        return root;
    }

    private void generate(HttpExchange ex, GenerationEndpoint.Kind kind) throws IOException {
        received.incrementAndGet();
        try {
            if (!ready()) throw VllmError.forStatus(503, "The model is still loading. Please try again later.");
            String ct = ex.getRequestHeaders().getFirst("Content-Type");
            if (ct == null || !ct.toLowerCase().startsWith("application/json")) {
                throw VllmError.schema("Unsupported Media Type: Only 'application/json' is allowed");
            }
            JsonNode body;
            try (InputStream in = ex.getRequestBody()) {
                byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
                if (bytes.length > MAX_BODY_BYTES) throw VllmError.forStatus(413, "Request body too large.");
                body = json.readTree(bytes);
            } catch (JsonProcessingException e) {
                throw VllmError.schema("JSON decode error: " + e.getOriginalMessage());
            }
            if (body == null) throw VllmError.schema("Field required");
            if (kind == null) {
                if (body.has("messages")) kind = GenerationEndpoint.Kind.CHAT;
                else if (body.has("prompt")) kind = GenerationEndpoint.Kind.COMPLETION;
                else throw VllmError.badRequest("Cannot find suitable handler for request. Expected one of: "
                            + "[ChatCompletionRequest, CompletionRequest]", null);
            }
            if (kind == GenerationEndpoint.Kind.EMBEDDING) generation.embed(ex, body);
            else generation.handle(ex, body, kind);
        } catch (VllmError e) {
            sendJson(ex, e.status, e.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationEndpoint.DropConnection();
        }
    }

    private void adminFaults(HttpExchange ex, String method) throws IOException {
        if (method.equals("GET")) {
            sendJson(ex, 200, json.valueToTree(faults.get().asMap()));
            return;
        }
        if (!method.equals("POST")) {
            sendJson(ex, 405, json.createObjectNode().put("detail", "Method Not Allowed"));
            return;
        }
        try (InputStream in = ex.getRequestBody()) {
            Map<String, Object> changes = json.readValue(in.readNBytes(64 * 1024), new TypeReference<>() {});
            if (changes == null) throw new IllegalArgumentException("body must be a JSON object");
            Faults updated = faults.get().with(changes);
            setFaults(updated);
            sendJson(ex, 200, json.valueToTree(updated.asMap()));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String message = e instanceof JsonProcessingException jpe ? "invalid JSON: " + jpe.getOriginalMessage() : e.getMessage();
            sendJson(ex, 400, VllmError.badRequest(message, null).body());
        }
    }

    private void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        send(ex, status, "application/json", json.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static int freePort(InetAddress host) {
        try (ServerSocket s = new ServerSocket(0, 1, host)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host.getHostAddress(), e);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        engine.stop();
        HttpServer s = server;
        if (s != null) s.stop(0);
        executor.shutdownNow();
    }
}
