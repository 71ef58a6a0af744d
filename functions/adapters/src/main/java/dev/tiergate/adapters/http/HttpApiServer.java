package dev.tiergate.adapters.http;

import dev.tiergate.openai.ServerSentEvents;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.GatewayApi;
import dev.tiergate.core.protocol.OpenAiError;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpStatus;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.DefaultConnectionReuseStrategy;
import org.apache.hc.core5.http.impl.ServerSupport;
import org.apache.hc.core5.http.impl.io.DefaultBHttpServerConnection;
import org.apache.hc.core5.http.impl.io.HttpService;
import org.apache.hc.core5.http.io.HttpServerRequestHandler;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.support.BasicHttpServerExpectationDecorator;
import org.apache.hc.core5.http.message.BasicClassicHttpResponse;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.http.protocol.HttpProcessor;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import org.apache.hc.core5.http.protocol.ResponseContent;
import org.apache.hc.core5.http.protocol.ResponseDate;
import org.apache.hc.core5.io.CloseMode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway as a plain HTTP/1.1 server: the same {@link GatewayApi} the Lambda functions run, on the same paths.
 * Streamed answers are written and flushed event by event.
 *
 * <p>HTTP itself is Apache HttpCore 5's classic (blocking) server side, driven one connection per thread: the thread
 * that reads a request also calls the upstream and writes the answer, so a request crosses no thread and no selector.
 * The JDK's server hands every request from its selector thread to a worker and the connection back again; on two
 * cores that cost ~140 µs of CPU per request against ~70 µs here. The first {@link #PLATFORM_THREADS}
 * connections get platform threads, whose blocking reads wake straight from the kernel; beyond that, virtual threads,
 * so thousands of long streams cost no more than their sockets.
 */
public final class HttpApiServer implements AutoCloseable {

    /** Connections served on platform threads; more are served on virtual threads. */
    static final int PLATFORM_THREADS = 256;
    /** An idle keep-alive connection, or a client that stops sending mid-request, is closed after this long. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * The most a request may take from the start of the wait for it to its last body byte: the idle time plus 30 s.
     * The idle timeout alone is per read, so a client trickling a byte every 29 s would hold its thread for ever.
     */
    static final Duration REQUEST_DEADLINE = IDLE_TIMEOUT.plusSeconds(30);
    private static final String DEADLINE = "tiergate.request-deadline";
    /** Longest request line or header line, and most header lines: beyond them the answer is 431. */
    static final int MAX_LINE_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 128;

    private static final System.Logger LOG = System.getLogger(HttpApiServer.class.getName());
    private static final Http1Config HTTP1 = Http1Config.custom()
            .setMaxLineLength(MAX_LINE_BYTES)
            .setMaxHeaderCount(MAX_HEADERS)
            .build();

    /** What answers requests: the gateway, or a test's stand-in. */
    @FunctionalInterface
    public interface Handler {
        ApiResponse handle(ApiRequest request);
    }

    private final Handler handler;
    private final ObjectMapper json = new ObjectMapper();
    private final int maxBodyBytes;
    private final ServerSocket listener;
    private final HttpService service;
    private final Thread acceptor;
    private final Set<LingeringConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger onPlatformThreads = new AtomicInteger();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Duration requestDeadline;
    /** Closes the sockets of requests that outlive their deadline. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor deadlines;

    private HttpApiServer(Handler handler, int maxBodyBytes, InetSocketAddress address, Duration requestDeadline) throws IOException {
        this.handler = handler;
        this.requestDeadline = requestDeadline;
        this.deadlines = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("tiergate-http-deadlines").daemon(true).factory());
        deadlines.setRemoveOnCancelPolicy(true);
        this.maxBodyBytes = maxBodyBytes;
        HttpProcessor processor = HttpProcessorBuilder.create()
                .add(new ResponseDate())
                .add(new ResponseContent())
                .add(HttpApiServer::connectionHeader)
                .build();
        this.service = new JsonErrorsService(processor, new BasicHttpServerExpectationDecorator(this::exchange));
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address, 1024);
        this.acceptor = Thread.ofPlatform().name("tiergate-http-accept").daemon(true).unstarted(this::acceptLoop);
    }

    /** Serves {@code api} on {@code address} (port 0: any free port) until {@link #close()}. */
    public static HttpApiServer start(GatewayApi api, InetSocketAddress address) throws IOException {
        return start(api::handle, api.maxBodyBytes(), address);
    }

    /**
     * @param maxBodyBytes the gateway's body limit: one byte more is read, so a handler can tell "too large" without
     *                     the whole body being buffered
     */
    public static HttpApiServer start(Handler handler, int maxBodyBytes, InetSocketAddress address) throws IOException {
        return start(handler, maxBodyBytes, address, REQUEST_DEADLINE);
    }

    static HttpApiServer start(Handler handler, int maxBodyBytes, InetSocketAddress address, Duration requestDeadline) throws IOException {
        HttpApiServer s = new HttpApiServer(handler, maxBodyBytes, address, requestDeadline);
        s.acceptor.start();
        return s;
    }

    public URI url() {
        return URI.create("http://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort());
    }

    /** Connections accepted since the start (keep-alive reuse shows as fewer connections than requests). */
    int connectionsAccepted() {
        return connectionCount.get();
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (closed.get()) return;
                LOG.log(System.Logger.Level.WARNING, "accepting a connection failed: " + e.getMessage());
                continue;
            }
            connectionCount.incrementAndGet();
            try {
                socket.setTcpNoDelay(true); // small SSE events must leave at once, not wait for Nagle's algorithm
                socket.setSoTimeout((int) IDLE_TIMEOUT.toMillis());
                LingeringConnection conn = new LingeringConnection(socket);
                boolean platform = onPlatformThreads.incrementAndGet() <= PLATFORM_THREADS;
                if (!platform) onPlatformThreads.decrementAndGet();
                Thread.Builder threads = platform ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
                open.add(conn);
                try {
                    threads.name("tiergate-http").start(() -> serve(conn, platform));
                } catch (RuntimeException | OutOfMemoryError noThread) {
                    open.remove(conn);
                    if (platform) onPlatformThreads.decrementAndGet();
                    throw new IOException("no thread for a new connection: " + noThread, noThread);
                }
            } catch (IOException | RuntimeException e) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    /** One connection, request after request, until either side closes it. */
    private void serve(LingeringConnection conn, boolean platform) {
        try {
            while (!closed.get() && conn.isOpen()) {
                HttpCoreContext context = HttpCoreContext.create();
                java.util.concurrent.ScheduledFuture<?> deadline = deadlines.schedule(conn::cut, requestDeadline.toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
                context.setAttribute(DEADLINE, deadline);
                try {
                    service.handleRequest(conn, context);
                } finally {
                    deadline.cancel(false);
                }
            }
        } catch (MalformedHead malformed) {
            answerAndClose(conn, new OpenAiError(400, "invalid_request_error", malformed.getMessage(), Optional.empty(),
                    Optional.of("malformed_http")));
        } catch (org.apache.hc.core5.http.MessageConstraintException tooLong) {
            // A line or header count over the limits: HttpCore stops parsing with an I/O error; say why before closing.
            answerAndClose(conn, new OpenAiError(431, "invalid_request_error", "The request's headers are too large: "
                    + tooLong.getMessage() + " (at most " + MAX_HEADERS + " header lines of " + MAX_LINE_BYTES
                    + " bytes).", Optional.empty(), Optional.of("headers_too_large")));
        } catch (ConnectionClosedException | SocketTimeoutException | SocketException gone) {
            // the client left, idled out, or the server is stopping
        } catch (IOException | HttpException | RuntimeException e) {
            if (!closed.get()) LOG.log(System.Logger.Level.DEBUG, "connection ended: " + e);
        } finally {
            conn.close(CloseMode.IMMEDIATE);
            open.remove(conn);
            if (platform) onPlatformThreads.decrementAndGet();
        }
    }

    private void answerAndClose(LingeringConnection conn, OpenAiError error) {
        try {
            ClassicHttpResponse res = new BasicClassicHttpResponse(error.status());
            res.setHeader(HttpHeaders.CONNECTION, "close");
            byte[] body = json.writeValueAsBytes(error.toJson(json));
            res.setHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length));
            res.setHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            res.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            conn.sendResponseHeader(res);
            conn.sendResponseEntity(res);
            conn.close();
        } catch (IOException | HttpException ignored) {
            // the client is gone
        }
    }

    /** One request: read the body (up to the limit), let the gateway answer, write its answer. */
    private void exchange(ClassicHttpRequest req, HttpServerRequestHandler.ResponseTrigger trigger,
                          org.apache.hc.core5.http.protocol.HttpContext context) throws HttpException, IOException {
        byte[] body;
        boolean drained = true;
        if (req.containsHeader(HttpHeaders.CONTENT_LENGTH) && req.containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
            // Two framings for one body: a proxy in front may read the other one, and smuggle a request past it.
            req.setEntity(null);
            OpenAiError e = new OpenAiError(400, "invalid_request_error", "The request has both Content-Length and "
                    + "Transfer-Encoding; send one.", Optional.empty(), Optional.of("malformed_http"));
            ClassicHttpResponse res = new BasicClassicHttpResponse(400);
            res.setHeader(HttpHeaders.CONNECTION, "close");
            res.setEntity(new ByteArrayEntity(json.writeValueAsBytes(e.toJson(json)), ContentType.APPLICATION_JSON));
            trigger.submitResponse(res);
            return;
        }
        if (req.getEntity() == null) {
            body = new byte[0];
        } else {
            InputStream in = req.getEntity().getContent();
            body = in.readNBytes(maxBodyBytes + 1);
            if (body.length > maxBodyBytes) {
                // Over the limit: read at most as much again so an ordinary client still gets its 413 on an open
                // connection, but never an endless body; what is left unread closes the connection.
                drained = discard(in, maxBodyBytes);
                if (!drained) req.setEntity(null); // HttpCore would otherwise read the rest before answering
            }
        }
        // The request is read: from here on, only the answer takes time (a stream may take minutes).
        if (context.getAttribute(DEADLINE) instanceof java.util.concurrent.Future<?> deadline) deadline.cancel(false);
        String target = req.getPath() == null ? "/" : req.getPath();
        int q = target.indexOf('?');
        // The path goes on still percent-encoded, as API Gateway passes it: the gateway decodes each segment once.
        String path = q < 0 ? target : target.substring(0, q);
        Map<String, String> query;
        try {
            query = query(q < 0 ? null : target.substring(q + 1));
        } catch (IllegalArgumentException badEscape) {
            query = null;
        }
        ApiResponse response;
        if (query == null) {
            OpenAiError e = OpenAiError.invalidRequest("The query string of '" + printable(target)
                    + "' has a malformed %-escape.", null);
            response = new ApiResponse.Whole(e.status(), Map.of("content-type", "application/json"),
                    json.writeValueAsBytes(e.toJson(json)));
        } else {
            Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (Header h : req.getHeaders()) headers.putIfAbsent(h.getName(), h.getValue() == null ? "" : h.getValue());
            try {
                response = handler.handle(new ApiRequest(req.getMethod(), path, query, headers, body));
            } catch (RuntimeException bug) {
                // The gateway answers its own failures (500 with a request id); this is the edge's last resort.
                LOG.log(System.Logger.Level.ERROR, "the handler failed", bug);
                OpenAiError e = OpenAiError.internal("tiergate failed to handle the request.");
                response = new ApiResponse.Whole(e.status(), Map.of("content-type", "application/json"),
                        json.writeValueAsBytes(e.toJson(json)));
            }
        }
        ClassicHttpResponse res = new BasicClassicHttpResponse(response.status());
        response.headers().forEach((k, v) -> {
            // HttpCore frames the body itself, from the entity.
            if (!k.equalsIgnoreCase(HttpHeaders.CONTENT_LENGTH) && !k.equalsIgnoreCase(HttpHeaders.TRANSFER_ENCODING)) {
                res.setHeader(k, v);
            }
        });
        if (!drained) res.setHeader(HttpHeaders.CONNECTION, "close");
        EventStreamEntity stream = null;
        switch (response) {
            case ApiResponse.Whole w -> {
                if (w.body().length > 0) res.setEntity(new ByteArrayEntity(w.body(), null));
            }
            case ApiResponse.EventStream s -> res.setEntity(stream = new EventStreamEntity(s.body()));
        }
        try {
            trigger.submitResponse(res);
        } finally {
            if (stream != null) stream.endIfNeverWritten();
        }
    }

    /** A streamed answer: each event is written and flushed (one HTTP chunk) as the gateway produces it. */
    private static final class EventStreamEntity extends AbstractHttpEntity {
        private final ApiResponse.StreamBody body;
        private boolean written;

        EventStreamEntity(ApiResponse.StreamBody body) {
            super((String) null, null, true);
            this.body = body;
        }

        /**
         * The gateway opened the upstream stream and holds the budget reservation before answering; only its stream body
         * closes and settles them. When the client left before the status line could be sent, the body still runs, into
         * a sink that fails at once, so the gateway takes its "client disconnected" path and records what was used.
         */
        void endIfNeverWritten() {
            if (written) return;
            written = true;
            try {
                body.writeTo(new ApiResponse.EventSink() {
                    @Override
                    public void data(String data) throws IOException {
                        throw new IOException("the client left before the answer began");
                    }

                    @Override
                    public void comment(String text) throws IOException {
                        throw new IOException("the client left before the answer began");
                    }
                });
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "stream ended without a client: " + e.getMessage());
            }
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            written = true;
            body.writeTo(new ApiResponse.EventSink() {
                @Override
                public void data(String data) throws IOException {
                    event(ServerSentEvents.dataBytes(data));
                }

                @Override
                public void comment(String text) throws IOException {
                    event(ServerSentEvents.commentBytes(text));
                }

                private void event(byte[] framed) throws IOException {
                    out.write(framed);
                    out.flush();
                }
            });
        }

        @Override
        public InputStream getContent() {
            throw new UnsupportedOperationException("an event stream is written, not read");
        }

        @Override
        public boolean isStreaming() {
            return true;
        }

        @Override
        public long getContentLength() {
            return -1;
        }

        @Override
        public void close() {
            // nothing held
        }
    }

    /**
     * A connection the server closes after answering (413 with a body left unread, headers too large, a client's
     * {@code Connection: close}) first sends what it has and shuts its side, then reads and drops what the client is
     * still sending, within bounds: closing a socket with unread input makes the kernel send a reset, which can make
     * the client lose the answer it was about to read (nginx's "lingering close").
     */
    static final class LingeringConnection extends DefaultBHttpServerConnection {
        static final int LINGER_BYTES = 1 << 20;
        static final Duration LINGER_TIME = Duration.ofSeconds(2);

        private final Socket socket;

        LingeringConnection(Socket socket) throws IOException {
            // The header-count limit is the parser's, which the two-argument constructor would build without it.
            super("http", HTTP1, null, null, null, null, config -> new NoFoldingParser(), null);
            this.socket = socket;
            bind(socket);
        }

        /** Ends a request that outlived its deadline: the blocked read fails and the connection's thread is free. */
        void cut() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed already
            }
        }

        @Override
        public void close() throws IOException {
            if (!isOpen()) return;
            try {
                flush();
                socket.shutdownOutput();
                long end = System.nanoTime() + LINGER_TIME.toNanos();
                socket.setSoTimeout((int) LINGER_TIME.toMillis());
                InputStream in = socket.getInputStream();
                byte[] drop = new byte[8192];
                for (int read = 0; read < LINGER_BYTES && System.nanoTime() < end; ) {
                    int n = in.read(drop);
                    if (n < 0) break;
                    read += n;
                }
            } catch (IOException ignored) {
                // the client is gone or slow: close regardless
            } finally {
                close(CloseMode.IMMEDIATE);
            }
        }
    }

    /**
     * A request head HttpCore would read leniently: a header line that continues the one before (obs-fold), which it
     * unfolds, or a control byte, which it turns into a space (so {@code Bearer KEY<NUL>} became a valid key). Both
     * are refused, as RFC 9112 allows, so that no proxy in front can read the head differently.
     */
    static final class MalformedHead extends IOException {
        MalformedHead(String why) {
            super(why);
        }
    }

    /** HttpCore's request parser, reading through {@link StrictHeadLines}. */
    private static final class NoFoldingParser implements org.apache.hc.core5.http.io.HttpMessageParser<ClassicHttpRequest> {
        private final org.apache.hc.core5.http.impl.io.DefaultHttpRequestParser parser =
                new org.apache.hc.core5.http.impl.io.DefaultHttpRequestParser(HTTP1);

        @Override
        public ClassicHttpRequest parse(org.apache.hc.core5.http.io.SessionInputBuffer buffer, InputStream in)
                throws IOException, HttpException {
            return parser.parse(new StrictHeadLines(buffer), in);
        }
    }

    /** The connection's input buffer for one request head, failing on folded lines and control bytes. */
    private static final class StrictHeadLines implements org.apache.hc.core5.http.io.SessionInputBuffer {
        private final org.apache.hc.core5.http.io.SessionInputBuffer buffer;
        private boolean requestLineRead;

        StrictHeadLines(org.apache.hc.core5.http.io.SessionInputBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int readLine(org.apache.hc.core5.util.CharArrayBuffer line, InputStream in) throws IOException {
            int start = line.length();
            int n = buffer.readLine(line, in);
            if (line.length() > start) {
                char first = line.charAt(start);
                if (requestLineRead && (first == ' ' || first == '\t')) {
                    throw new MalformedHead("The request's headers use line folding (obs-fold): send each header on one line.");
                }
                for (int i = start; i < line.length(); i++) {
                    char c = line.charAt(i);
                    if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        throw new MalformedHead("The request's head has a control byte (0x" + Integer.toHexString(c) + ").");
                    }
                }
                requestLineRead = true;
            }
            return n;
        }

        @Override public int length() { return buffer.length(); }
        @Override public int capacity() { return buffer.capacity(); }
        @Override public int available() { return buffer.available(); }
        @Override public int read(byte[] b, int off, int len, InputStream in) throws IOException { return buffer.read(b, off, len, in); }
        @Override public int read(byte[] b, InputStream in) throws IOException { return buffer.read(b, in); }
        @Override public int read(InputStream in) throws IOException { return buffer.read(in); }
        @Override public org.apache.hc.core5.http.io.HttpTransportMetrics getMetrics() { return buffer.getMetrics(); }
    }

    /** HttpCore's own answers to requests it cannot parse (400, 501, 505), in the OpenAI error shape. */
    private final class JsonErrorsService extends HttpService {
        JsonErrorsService(HttpProcessor processor, HttpServerRequestHandler handler) {
            super(processor, handler, HTTP1, DefaultConnectionReuseStrategy.INSTANCE, null);
        }

        @Override
        protected void handleException(HttpException ex, ClassicHttpResponse response) {
            int status = ServerSupport.toStatusCode(ex);
            response.setCode(status);
            String code = switch (status) {
                case HttpStatus.SC_BAD_REQUEST -> "malformed_http";
                case HttpStatus.SC_REQUEST_HEADER_FIELDS_TOO_LARGE -> "headers_too_large";
                default -> "unsupported_http";
            };
            String message = status == HttpStatus.SC_REQUEST_HEADER_FIELDS_TOO_LARGE
                    ? "The request's headers are too large: " + ServerSupport.toErrorMessage(ex) + " (at most "
                    + MAX_HEADERS + " header lines of " + MAX_LINE_BYTES + " bytes)."
                    : "The request is not valid HTTP/1.1: " + ServerSupport.toErrorMessage(ex);
            OpenAiError e = new OpenAiError(status, "invalid_request_error", message, Optional.empty(), Optional.of(code));
            try {
                response.setEntity(new ByteArrayEntity(json.writeValueAsBytes(e.toJson(json)), ContentType.APPLICATION_JSON));
            } catch (IOException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
    }

    /**
     * Says {@code Connection: close} when the client asked for it, and keeps HTTP/1.0 keep-alive when asked. HttpCore's
     * own {@code ResponseConnControl} would also close the connection after every 400, 413 and 503, which would make a
     * client that sends one bad request, or meets a busy fleet, open a new connection for its next.
     */
    private static void connectionHeader(org.apache.hc.core5.http.HttpResponse response,
                                         org.apache.hc.core5.http.EntityDetails entity,
                                         org.apache.hc.core5.http.protocol.HttpContext context) {
        if (response.containsHeader(HttpHeaders.CONNECTION)) return;
        org.apache.hc.core5.http.HttpRequest request = HttpCoreContext.cast(context).getRequest();
        if (request == null) return;
        Header asked = request.getFirstHeader(HttpHeaders.CONNECTION);
        if (asked != null && asked.getValue() != null) {
            String v = asked.getValue().trim();
            if (v.equalsIgnoreCase("close")) response.setHeader(HttpHeaders.CONNECTION, "close");
            else if (v.equalsIgnoreCase("keep-alive")) response.setHeader(HttpHeaders.CONNECTION, "keep-alive");
        }
    }

    /** Reads and drops at most {@code atMost} bytes; true if the stream ended within them. */
    private static boolean discard(InputStream in, long atMost) throws IOException {
        byte[] buf = new byte[8192];
        for (long left = atMost; left > 0; ) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) return true;
            left -= n;
        }
        return in.read() < 0;
    }

    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Query parameters, first value wins; a malformed %-escape is an IllegalArgumentException (answered 400). */
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

    /** Stops accepting and closes every connection; a request being answered ends with its socket. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            listener.close();
        } catch (IOException ignored) {
            // stopping
        }
        for (LingeringConnection c : open) c.close(CloseMode.IMMEDIATE);
        deadlines.shutdownNow();
        try {
            acceptor.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
