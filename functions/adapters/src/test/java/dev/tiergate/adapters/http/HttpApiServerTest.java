package dev.tiergate.adapters.http;

import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP edge of {@code up} and {@code serve}, over real loopback sockets, with the requests written byte by byte as
 * careless or hostile clients send them. A stand-in handler records what the gateway would have been given.
 */
class HttpApiServerTest {

    private static final int LIMIT = 1000;

    private final List<ApiRequest> seen = new CopyOnWriteArrayList<>();
    private final List<Boolean> onVirtualThread = new CopyOnWriteArrayList<>();
    private HttpApiServer server;

    /** Echoes what it was given; 413 over the limit, as the gateway answers. */
    private ApiResponse echo(ApiRequest r) {
        seen.add(r);
        onVirtualThread.add(Thread.currentThread().isVirtual());
        if (r.body().length > LIMIT) {
            return new ApiResponse.Whole(413, Map.of("content-type", "application/json"),
                    "{\"error\":{\"code\":\"request_too_large\"}}".getBytes(StandardCharsets.UTF_8));
        }
        String text = r.method() + " " + r.path() + " " + r.query() + " " + r.header("x-probe").orElse("-") + " "
                + new String(r.body(), StandardCharsets.UTF_8);
        return new ApiResponse.Whole(200, Map.of("content-type", "text/plain", "x-echo", "yes"),
                text.getBytes(StandardCharsets.UTF_8));
    }

    private HttpApiServer start(HttpApiServer.Handler handler) throws IOException {
        server = HttpApiServer.start(handler, LIMIT, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(server.url().getHost(), server.url().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** One whole response with a Content-Length body: status line and headers, then the body. */
    private record Reply(String head, String body) {
        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }

        boolean header(String line) {
            return head.toLowerCase().contains("\r\n" + line.toLowerCase() + "\r\n");
        }
    }

    private static Reply readReply(InputStream in) throws IOException {
        String head = readHead(in);
        int len = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
        }
        return new Reply(head, new String(in.readNBytes(len), StandardCharsets.UTF_8));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new IOException("connection closed after: " + b.toString(StandardCharsets.ISO_8859_1));
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1) ;
    }

    /** True once the server has closed the connection (end of stream or reset). */
    private static boolean closedByServer(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Test
    void keepAliveRequestsShareOneConnectionAndTheHandlerGetsMethodPathQueryHeadersAndBody() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "POST /v1/route?team=search%20x&team=second&flag HTTP/1.1\r\nHost: x\r\nX-Probe: p1\r\n"
                    + "Content-Length: 5\r\n\r\nhello");
            Reply first = readReply(s.getInputStream());
            send(s, "GET /admin/keys%2Fabc HTTP/1.1\r\nHost: x\r\n\r\n");
            Reply second = readReply(s.getInputStream());

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("x-echo: yes")).isTrue();
            assertThat(first.header("content-type: text/plain")).isTrue();
            // The first value of a repeated parameter wins, escapes are decoded, a bare name is empty.
            assertThat(seen.get(0).query()).isEqualTo(Map.of("team", "search x", "flag", ""));
            assertThat(first.body()).startsWith("POST /v1/route ").endsWith(" p1 hello");
            assertThat(second.status()).isEqualTo(200);
            // Still encoded: %2F is part of one segment, not a separator; the gateway decodes segments.
            assertThat(seen.get(1).path()).isEqualTo("/admin/keys%2Fabc");
            assertThat(seen.get(1).body()).isEmpty();
        }
        assertThat(server.connectionsAccepted()).isEqualTo(1);
        assertThat(onVirtualThread).containsOnly(false);
    }

    @Test
    void aChunkedRequestBodyIsAssembled() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(seen.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("abcdefg");
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 100");
            send(s, "ok");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).endsWith(" ok");
        }
    }

    @Test
    void aBodySomewhatOverTheLimitIsAnswered413AndTheConnectionStaysUsable() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            int size = LIMIT + 500;
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n" + "x".repeat(size));
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(413);
            // The gateway was given one byte past the limit, never the whole body.
            assertThat(seen.get(0).body()).hasSize(LIMIT + 1);
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
        }
    }

    @Test
    void anEndlessBodyIsAnswered413AndTheConnectionClosedWithoutReadingItAll() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            OutputStream out = s.getOutputStream();
            byte[] chunk = ("400\r\n" + "y".repeat(0x400) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 100_000; i++) out.write(chunk); // 100 MB, far more than the server reads
                } catch (IOException closed) {
                    // expected: the server closes the connection
                }
            });
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.header("connection: close")).isTrue();
            assertThat(closedByServer(s.getInputStream())).isTrue();
            writer.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(writer.isAlive()).as("the writer was stopped by the closed connection").isFalse();
        }
    }

    @Test
    void malformedHttpIsAnswered400InTheOpenAiErrorShape() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "THIS IS NOT HTTP\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"type\":\"invalid_request_error\"").contains("\"code\":\"malformed_http\"");
        }
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"error\"");
        }
        assertThat(seen).isEmpty();
    }

    @Test
    void oversizedHeadersAreAnswered431AndTheConnectionClosed() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "z".repeat(HttpApiServer.MAX_LINE_BYTES + 10) + "\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).contains("\"code\":\"headers_too_large\"");
            assertThat(closedByServer(s.getInputStream())).isTrue();
        }
        try (Socket s = connect()) {
            StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i <= HttpApiServer.MAX_HEADERS; i++) many.append("X-H").append(i).append(": v\r\n");
            send(s, many.append("\r\n").toString());
            assertThat(readReply(s.getInputStream()).status()).isEqualTo(431);
        }
        assertThat(seen).isEmpty();
    }

    @Test
    void aMalformedQueryEscapeIsAnswered400AndAPathIsPassedOnStillEncoded() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "GET /admin/usage?team=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("malformed %-escape").contains("\"code\":\"invalid_request\"");
            assertThat(seen).isEmpty();
            // The gateway decodes each path segment once; decoding here too is how ana%2Btest became "ana test".
            send(s, "GET /admin/budgets/user/ana%2Btest HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
        }
        assertThat(seen).extracting(ApiRequest::path).containsExactly("/admin/budgets/user/ana%2Btest");
    }

    @Test
    void foldedHeaderLinesAreRefusedNotUnfolded() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\nX-Probe: a\r\n b\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"code\":\"malformed_http\"", "obs-fold");
            assertThat(closedByServer(s.getInputStream())).isTrue();
        }
        try (Socket s = connect()) {
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\u0000\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"code\":\"malformed_http\"", "control byte (0x0)");
            assertThat(closedByServer(s.getInputStream())).isTrue();
        }
        assertThat(seen).isEmpty();
    }

    @Test
    void aBodyWithBothContentLengthAndChunkedIsRefusedAndTheConnectionClosed() throws Exception {
        start(this::echo);
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"code\":\"malformed_http\"", "Content-Length and Transfer-Encoding");
            assertThat(closedByServer(s.getInputStream())).isTrue();
        }
        assertThat(seen).isEmpty();
    }

    @Test
    void aClientTricklingItsHeadersIsCutAtTheRequestDeadline() throws Exception {
        server = HttpApiServer.start(this::echo, LIMIT, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Duration.ofSeconds(1));
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\n");
            boolean cut = false;
            // A header byte every 100 ms: each read is far inside the idle timeout, the whole far beyond the deadline.
            for (int i = 0; i < 50 && !cut; i++) {
                try {
                    send(s, "X");
                    Thread.sleep(100);
                } catch (IOException reset) {
                    cut = true;
                }
            }
            if (!cut) cut = closedByServer(s.getInputStream());
            assertThat(cut).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        }
        // Each request on a keep-alive connection has a deadline of its own: three, 0.6 s apart, outlast one deadline.
        try (Socket s = connect()) {
            for (int i = 0; i < 3; i++) {
                send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
                Thread.sleep(600);
            }
        }
        assertThat(seen).hasSize(3);
    }

    @Test
    void aHandlerThatThrowsGetsA500NotABadEscapeAndTheConnectionStaysUsable() throws Exception {
        start(r -> {
            if (r.path().equals("/boom")) throw new IllegalArgumentException("a bug, not the client's escape");
            return echo(r);
        });
        try (Socket s = connect()) {
            send(s, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
            Reply r = readReply(s.getInputStream());
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).contains("\"code\":\"internal_error\"").doesNotContain("escape");
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
        }
    }

    @Test
    void eachEventOfAStreamReachesTheClientBeforeTheNextIsWritten() throws Exception {
        CountDownLatch firstSeen = new CountDownLatch(1);
        start(r -> new ApiResponse.EventStream(200, Map.of("content-type", "text/event-stream"), sink -> {
            sink.data("{\"n\":1}");
            try {
                // The second event waits for the client to have read the first: a buffered first event fails here.
                if (!firstSeen.await(10, TimeUnit.SECONDS)) throw new IOException("the first event never arrived");
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            sink.comment("meta");
            sink.data("[DONE]");
        }));
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<InputStream> res = client.send(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).contains("text/event-stream");
        List<String> lines = new ArrayList<>();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                lines.add(l);
                if (l.equals("data: {\"n\":1}")) firstSeen.countDown();
            }
        }
        assertThat(lines).containsExactly("data: {\"n\":1}", "", ": meta", "", "data: [DONE]", "");
    }

    @Test
    void anHttp10ClientGetsAStreamEndedByTheClose() throws Exception {
        start(r -> new ApiResponse.EventStream(200, Map.of("content-type", "text/event-stream"), sink -> {
            sink.data("{\"n\":1}");
            sink.data("[DONE]");
        }));
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            // No chunked framing for HTTP/1.0: the events as they are, then the server closes.
            assertThat(all).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("transfer-encoding")
                    .endsWith("\r\n\r\ndata: {\"n\":1}\n\ndata: [DONE]\n\n");
        }
    }

    @Test
    void aStreamWhoseClientLeftBeforeItsHeadersStillRunsItsBodyIntoAFailingSink() throws Exception {
        CountDownLatch bodyRan = new CountDownLatch(1);
        List<String> sinkErrors = new CopyOnWriteArrayList<>();
        start(r -> {
            try {
                Thread.sleep(300); // the client resets the connection meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Headers larger than HttpCore's buffer are written (and fail) before the body could start.
            return new ApiResponse.EventStream(200, Map.of("x-big", "b".repeat(256 * 1024)), sink -> {
                try {
                    sink.data("{}");
                } catch (IOException expected) {
                    sinkErrors.add(expected.getMessage());
                } finally {
                    bodyRan.countDown();
                }
            });
        });
        try (Socket s = connect()) {
            send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
            s.setSoLinger(true, 0); // close with a reset
        }
        assertThat(bodyRan.await(10, TimeUnit.SECONDS)).as("the stream body ran, so the gateway could settle").isTrue();
        // The safety net's sink, not the socket's: the socket's would fail with a reset or a broken pipe.
        assertThat(sinkErrors).containsExactly("the client left before the answer began");
    }

    @Test
    void connectionsBeyondThePlatformThreadsAreServedOnVirtualThreads() throws Exception {
        start(this::echo);
        List<Socket> held = new ArrayList<>();
        try {
            // Each connection keeps its thread while it stays open.
            for (int i = 0; i < HttpApiServer.PLATFORM_THREADS + 4; i++) {
                Socket s = connect();
                held.add(s);
                send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
            }
        } finally {
            for (Socket s : held) s.close();
        }
        assertThat(onVirtualThread.subList(0, HttpApiServer.PLATFORM_THREADS)).containsOnly(false);
        assertThat(onVirtualThread.subList(HttpApiServer.PLATFORM_THREADS, onVirtualThread.size())).containsOnly(true);
    }

    @Test
    void closeEndsOpenConnectionsAndFreesThePort() throws Exception {
        start(this::echo);
        int port = server.url().getPort();
        try (Socket s = connect()) {
            send(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readReply(s.getInputStream()).status()).isEqualTo(200);
            server.close();
            assertThat(closedByServer(s.getInputStream())).isTrue();
        }
        try (HttpApiServer again = HttpApiServer.start(this::echo, LIMIT,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            assertThat(again.url().getPort()).isEqualTo(port);
        }
    }
}
