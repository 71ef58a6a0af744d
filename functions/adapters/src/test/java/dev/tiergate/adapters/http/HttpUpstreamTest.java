package dev.tiergate.adapters.http;

import com.sun.net.httpserver.HttpServer;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The upstream client against a real simulated vLLM replica and a real loopback server, over real sockets. */
class HttpUpstreamTest {

    private static final byte[] STREAM = """
            {"model":"m","messages":[{"role":"user","content":"Tell me a story"}],"stream":true,"max_tokens":30}"""
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] WHOLE = """
            {"model":"m","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":30}"""
            .getBytes(StandardCharsets.UTF_8);

    /** 30 tokens 20 ms apart: a stream of about 600 ms. */
    private static SimulatedReplica slowReplica(Faults faults) {
        return SimulatedReplica.start(ReplicaSettings.builder("m").timeScale(1).interTokenMicros(20_000)
                .prefillMicrosPerToken(0).outputTokens(30, 30).faults(faults).build());
    }

    private static URI chat(URI base) {
        return base.resolve("/v1/chat/completions");
    }

    private static List<String> readAll(Upstream.Stream s) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String l = s.nextLine(); l != null; l = s.nextLine()) lines.add(l);
        return lines;
    }

    @Test
    void aStreamLongerThanTheFirstByteTimeoutIsReadToItsEnd() throws Exception {
        try (SimulatedReplica r = slowReplica(Faults.NONE); HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            Instant now = Instant.now();
            long start = System.nanoTime();
            try (Upstream.Stream s = up.openStream(chat(r.baseUrl()), STREAM, now.plusMillis(300), now.plusSeconds(10))) {
                assertThat(s.status()).isEqualTo(200);
                List<String> lines = readAll(s);
                assertThat(lines).contains("data: [DONE]");
            }
            // It outlived the first-byte deadline, which bounds only the wait for the status line.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(300));
        }
    }

    @Test
    void theRequestDeadlineCutsAStreamMidAnswer() throws Exception {
        try (SimulatedReplica r = slowReplica(Faults.NONE); HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            Instant now = Instant.now();
            List<String> got = new ArrayList<>();
            try (Upstream.Stream s = up.openStream(chat(r.baseUrl()), STREAM, now.plusMillis(250), now.plusMillis(250))) {
                assertThat(s.status()).isEqualTo(200);
                assertThatThrownBy(() -> {
                    for (String l = s.nextLine(); l != null; l = s.nextLine()) got.add(l);
                }).isInstanceOf(IOException.class);
            }
            assertThat(got).isNotEmpty().doesNotContain("data: [DONE]");
            // The connection that was cut is not reused: the next call is answered whole.
            Upstream.Reply next = up.send(chat(r.baseUrl()), WHOLE, Instant.now().plusSeconds(5));
            assertThat(next.status()).isEqualTo(200);
        }
    }

    @Test
    void aHangingReplicaTimesOutAtTheFirstByteDeadline() {
        try (SimulatedReplica r = slowReplica(Faults.NONE.with(Map.of("hang_rate", 1)));
             HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> up.send(chat(r.baseUrl()), WHOLE, Instant.now().plusMillis(200)))
                    .isInstanceOfSatisfying(Upstream.UpstreamException.class,
                            e -> assertThat(e.kind()).isEqualTo(Upstream.UpstreamException.Kind.TIMEOUT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aClosedPortIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            assertThatThrownBy(() -> up.send(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"), WHOLE,
                    Instant.now().plusSeconds(2)))
                    .isInstanceOfSatisfying(Upstream.UpstreamException.class,
                            e -> assertThat(e.kind()).isEqualTo(Upstream.UpstreamException.Kind.CONNECT));
        }
    }

    /**
     * TLS is set up lazily (at the first https connection), but it is set up: an https upstream is spoken to in TLS,
     * never in clear text, and a peer that cannot complete the handshake fails the call.
     */
    @Test
    void anHttpsUpstreamIsSpokenToInTls() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of("127.0.0.1:" + s.getLocalPort(), "sk-secret"))) {
            java.util.concurrent.CompletableFuture<Integer> firstByte = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket c = s.accept()) {
                    return c.getInputStream().read(); // then hang up: no handshake answer
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThatThrownBy(() -> up.send(URI.create("https://127.0.0.1:" + s.getLocalPort() + "/v1/chat/completions"), WHOLE,
                    Instant.now().plusSeconds(2))).isInstanceOf(Upstream.UpstreamException.class);
            // 0x16: a TLS handshake record (a ClientHello), where clear HTTP would have begun with 'P' of POST.
            assertThat(firstByte.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(0x16);
        }
    }

    @Test
    void aBusyAnswerCarriesItsRetryAfterAndBodyAndTheBearerIsSentToItsHostOnly() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        List<String> auth = new ArrayList<>();
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            synchronized (auth) {
                auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            }
            byte[] body = "{\"error\":{\"message\":\"busy\"}}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Retry-After", "7");
            ex.sendResponseHeaders(429, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/chat/completions");
        try (HttpUpstream up = new HttpUpstream(Duration.ofSeconds(1), Map.of("127.0.0.1:" + server.getAddress().getPort(), "sk-test"));
             HttpUpstream anonymous = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            Upstream.Reply reply = up.send(url, WHOLE, Instant.now().plusSeconds(2));
            assertThat(reply.status()).isEqualTo(429);
            assertThat(reply.retryAfterMs()).isEqualTo(7_000);
            assertThat(new String(reply.body(), StandardCharsets.UTF_8)).contains("busy");
            Instant now = Instant.now();
            try (Upstream.Stream s = up.openStream(url, STREAM, now.plusSeconds(2), now.plusSeconds(2))) {
                assertThat(s.status()).isEqualTo(429);
                assertThat(s.retryAfterMs()).isEqualTo(7_000);
                assertThat(new String(s.errorBody(), StandardCharsets.UTF_8)).contains("busy");
                assertThat(s.nextLine()).isNull();
            }
            anonymous.send(url, WHOLE, Instant.now().plusSeconds(2));
            assertThat(auth).containsExactly("Bearer sk-test", "Bearer sk-test", "null");
        } finally {
            server.stop(0);
        }
    }
}
