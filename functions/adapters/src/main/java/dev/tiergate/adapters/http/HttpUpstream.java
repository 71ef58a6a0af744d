package dev.tiergate.adapters.http;

import dev.tiergate.core.ports.Upstream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
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
 * An OpenAI-compatible upstream over HTTP/1.1 (what vLLM's uvicorn speaks) with the JDK's client: no extra
 * dependency, keep-alive pooling, and a deadline on every call. A stream's deadline is enforced mid-body by closing
 * it when the time is up, since the client's own timeout stops at the headers.
 */
public final class HttpUpstream implements Upstream, AutoCloseable {

    private final HttpClient client;
    private final Duration connectTimeout;
    private final Map<String, String> bearerByHost;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "upstream-deadline");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param bearerByHost API keys for upstreams that need one (a hosted model), by {@code host:port}; never logged
     */
    public HttpUpstream(Duration connectTimeout, Map<String, String> bearerByHost) {
        this.connectTimeout = connectTimeout;
        this.bearerByHost = Map.copyOf(bearerByHost);
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    private HttpRequest request(URI url, byte[] body, Duration timeout, boolean stream) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        bearer(url).ifPresent(k -> b.header("Authorization", "Bearer " + k));
        return b.build();
    }

    private Optional<String> bearer(URI url) {
        return Optional.ofNullable(bearerByHost.get(url.getHost() + ":" + url.getPort()));
    }

    private static Duration remaining(Instant deadline) throws UpstreamException {
        Duration d = Duration.between(Instant.now(), deadline);
        if (d.isNegative() || d.isZero()) throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "deadline passed before the call", null);
        return d;
    }

    @Override
    public Reply send(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException {
        try {
            HttpResponse<byte[]> res = client.send(request(url, jsonBody, remaining(deadline), false), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(res.statusCode(), res.body());
        } catch (IOException e) {
            throw classify(url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "interrupted", e);
        }
    }

    @Override
    public Stream openStream(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException {
        HttpResponse<InputStream> res;
        try {
            res = client.send(request(url, jsonBody, remaining(deadline), true), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw classify(url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "interrupted", e);
        }
        InputStream body = res.body();
        if (res.statusCode() != 200) {
            byte[] err;
            try (body) {
                err = body.readNBytes(64 * 1024);
            } catch (IOException e) {
                err = new byte[0];
            }
            return new OpenStream(res.statusCode(), err, null, null);
        }
        long delay = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
        ScheduledFuture<?> timer = watchdog.schedule(() -> {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing is all the watchdog does; the reader sees the failure
            }
        }, delay, TimeUnit.MILLISECONDS);
        return new OpenStream(200, new byte[0], new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)), timer);
    }

    private UpstreamException classify(URI url, IOException e) {
        String where = url.getHost() + ":" + url.getPort();
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where, e);
        }
        if (e instanceof HttpTimeoutException) return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from " + where + " in time", e);
        return new UpstreamException(UpstreamException.Kind.RESET, "connection to " + where + " failed: " + e.getMessage(), e);
    }

    private record OpenStream(int status, byte[] errorBody, BufferedReader reader, ScheduledFuture<?> timer) implements Stream {
        @Override
        public String nextLine() throws IOException {
            return reader == null ? null : reader.readLine();
        }

        @Override
        public void close() {
            if (timer != null) timer.cancel(false);
            if (reader != null) {
                try {
                    reader.close();
                } catch (IOException ignored) {
                    // the stream is finished either way
                }
            }
        }
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        client.shutdownNow();
    }
}
