package dev.tiergate.adapters.http;

import dev.tiergate.core.ports.Upstream;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible upstream over HTTP/1.1 (what vLLM's uvicorn speaks) with Apache HttpClient 5's classic client:
 * the calling thread (the gateway's connection thread) does its own blocking socket I/O on a pooled keep-alive
 * connection, with no hand-off to a selector thread. That hand-off was most of what the JDK's {@code java.net.http}
 * client added per request (a bare proxy added +0.75 ms p50 at 4 clients with it, +0.28 ms with this).
 *
 * <p>Two deadlines per call: the status line must arrive by the first-byte deadline, whose remaining time is also the
 * socket's read timeout, so a stream that then stalls that long between events fails too; a stream's body is cut when
 * the request's own deadline passes, by a watchdog that aborts the exchange.
 */
public final class HttpUpstream implements Upstream, AutoCloseable {

    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final CloseableHttpClient client;
    private final Duration connectTimeout;
    private final java.time.Clock clock;
    private final Map<String, String> bearerByHost;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "upstream-deadline");
        t.setDaemon(true);
        return t;
    });

    /**
     * HttpClient's default TLS (the JDK's trusted CAs, hostname checks), set up at the first https connection: loading
     * the CA store costs ~0.1 s at start that a fleet on plain HTTP (the simulator, vLLM inside a VPC) never needs.
     */
    private static final class LazyTls implements org.apache.hc.client5.http.ssl.TlsSocketStrategy {
        private volatile org.apache.hc.client5.http.ssl.TlsSocketStrategy tls;

        @Override
        public javax.net.ssl.SSLSocket upgrade(java.net.Socket socket, String target, int port, Object attachment,
                                               org.apache.hc.core5.http.protocol.HttpContext context) throws IOException {
            org.apache.hc.client5.http.ssl.TlsSocketStrategy t = tls;
            if (t == null) {
                synchronized (this) {
                    if (tls == null) tls = org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy.createDefault();
                    t = tls;
                }
            }
            return t.upgrade(socket, target, port, attachment, context);
        }
    }

    /**
     * @param bearerByHost API keys for upstreams that need one (a hosted model), by {@code host:port}; never logged
     */
    public HttpUpstream(Duration connectTimeout, Map<String, String> bearerByHost) {
        this(connectTimeout, bearerByHost, java.time.Clock.systemUTC());
    }

    /** @param clock the clock deadlines are read on: the gateway's, which set them */
    public HttpUpstream(Duration connectTimeout, Map<String, String> bearerByHost, java.time.Clock clock) {
        this.clock = clock;
        this.connectTimeout = connectTimeout;
        this.bearerByHost = Map.copyOf(bearerByHost);
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        // LAX: no global pool lock on every lease; the replica selector already bounds concurrency.
                        .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
                        .setMaxConnPerRoute(512)
                        .setMaxConnTotal(4096)
                        .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
                        .setTlsSocketStrategy(new LazyTls())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(connectTimeout))
                                // uvicorn drops idle keep-alive connections after 5 s: check one idle this long
                                // before reusing it, rather than sending a request into a closed socket.
                                .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                                .build())
                        .build())
                // The dispatcher retries, on other replicas, within the request's deadline; the client never does.
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .evictIdleConnections(TimeValue.ofSeconds(30))
                .build();
    }

    private HttpPost request(URI url, byte[] body, Instant firstByteDeadline, boolean stream) throws UpstreamException {
        Timeout wait = Timeout.of(remaining(firstByteDeadline));
        HttpPost post = new HttpPost(url);
        post.setConfig(RequestConfig.custom().setResponseTimeout(wait).setConnectionRequestTimeout(wait).build());
        post.setHeader("Accept", stream ? "text/event-stream" : "application/json");
        bearer(url).ifPresent(k -> post.setHeader("Authorization", "Bearer " + k));
        post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
        return post;
    }

    private Optional<String> bearer(URI url) {
        return Optional.ofNullable(bearerByHost.get(url.getHost() + ":" + url.getPort()));
    }

    private Duration remaining(Instant deadline) throws UpstreamException {
        Duration d = Duration.between(clock.instant(), deadline);
        if (d.isNegative() || d.isZero()) throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "deadline passed before the call", null);
        return d;
    }

    @Override
    public Reply send(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException {
        HttpPost post = request(url, jsonBody, deadline, false);
        try (ClassicHttpResponse res = client.executeOpen(null, post, null)) {
            HttpEntity entity = res.getEntity();
            byte[] body = entity == null ? new byte[0] : EntityUtils.toByteArray(entity);
            return new Reply(res.getCode(), body, retryAfterMs(res));
        } catch (IOException e) {
            throw classify(url, e);
        }
    }

    @Override
    public Stream openStream(URI url, byte[] jsonBody, Instant firstByteDeadline, Instant deadline) throws UpstreamException {
        HttpPost post = request(url, jsonBody, firstByteDeadline, true);
        ClassicHttpResponse res;
        try {
            res = client.executeOpen(null, post, null);
        } catch (IOException e) {
            throw classify(url, e);
        }
        try {
            HttpEntity entity = res.getEntity();
            InputStream body = entity == null ? InputStream.nullInputStream() : entity.getContent();
            if (res.getCode() != 200) {
                byte[] err = body.readNBytes(MAX_ERROR_BODY);
                closeQuietly(res);
                return new OpenStream(res.getCode(), err, retryAfterMs(res), null, null, null);
            }
            long delay = Math.max(1, Duration.between(clock.instant(), deadline).toMillis());
            // Cancelling aborts the exchange and closes its socket; the reader's next read fails.
            ScheduledFuture<?> timer = watchdog.schedule(() -> post.cancel(), delay, TimeUnit.MILLISECONDS);
            return new OpenStream(200, new byte[0], -1, res,
                    new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)), timer);
        } catch (IOException e) {
            closeQuietly(res);
            throw classify(url, e);
        }
    }

    /** {@code Retry-After} in delta-seconds, as vLLM and hosted APIs send it with 429 and 503; -1 otherwise. */
    static long retryAfterMs(ClassicHttpResponse res) {
        Header h = res.getFirstHeader("Retry-After");
        if (h == null || h.getValue() == null) return -1;
        try {
            long s = Long.parseLong(h.getValue().trim());
            return s < 0 ? -1 : Math.min(s, 3600) * 1000;
        } catch (NumberFormatException httpDate) {
            return -1; // an HTTP-date: rare from model servers; the dispatcher's own backoff applies
        }
    }

    private static UpstreamException classify(URI url, IOException e) {
        String where = url.getHost() + ":" + url.getPort();
        if (e instanceof ConnectionRequestTimeoutException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no free connection to " + where + " in time", e);
        }
        if (e instanceof ConnectTimeoutException || e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where, e);
        }
        if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from " + where + " in time", e);
        }
        return new UpstreamException(UpstreamException.Kind.RESET, "connection to " + where + " failed: " + e.getMessage(), e);
    }

    private static void closeQuietly(ClassicHttpResponse res) {
        try {
            res.close();
        } catch (IOException ignored) {
            // the connection is discarded either way
        }
    }

    private record OpenStream(int status, byte[] errorBody, long retryAfterMs, ClassicHttpResponse response,
                              BufferedReader reader, ScheduledFuture<?> timer) implements Stream {
        @Override
        public String nextLine() throws IOException {
            return reader == null ? null : reader.readLine();
        }

        @Override
        public void close() {
            if (timer != null) timer.cancel(false);
            // A stream read to its end has already given its connection back to the pool; one cut short is closed.
            if (response != null) closeQuietly(response);
        }
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        try {
            client.close();
        } catch (IOException ignored) {
            // shutting down
        }
    }
}
