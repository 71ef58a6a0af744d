package dev.tiergate.adapters.metrics;

import com.google.protobuf.CodedInputStream;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The client's side of remote-write 1.0 against a loopback server that answers what each test needs. */
class RemoteWriteClientTest {

    private HttpServer server;
    private final List<com.sun.net.httpserver.Headers> seen = new CopyOnWriteArrayList<>();
    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();

    private URI serve(int... statuses) throws Exception {
        AtomicInteger n = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/write", ex -> {
            seen.add(ex.getRequestHeaders());
            bodies.add(ex.getRequestBody().readAllBytes());
            int s = statuses[Math.min(n.getAndIncrement(), statuses.length - 1)];
            byte[] b = s >= 300 ? ("error " + s).getBytes() : new byte[0];
            ex.sendResponseHeaders(s, b.length == 0 ? -1 : b.length);
            if (b.length > 0) ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/write");
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static byte[] request() {
        GatewayMetrics m = new GatewayMetrics();
        m.observe(Outcomes.ok("small", 100, 10, 5, "0.001"));
        RemoteWriteEncoder e = new RemoteWriteEncoder(Map.of("job", "tiergate"));
        return e.encode(e.series(m.snapshot(), 1_700_000_000_000L));
    }

    private static RemoteWriteClient client(URI url, Optional<RemoteWriteClient.Signing> signing) {
        return new RemoteWriteClient(url, signing, 4, Duration.ofMillis(1), Duration.ofMillis(20));
    }

    @Test
    void sendsSnappyProtobufWithTheReservedHeaders() throws Exception {
        URI url = serve(204);
        byte[] raw = request();
        assertThat(client(url, Optional.empty()).send(raw)).isEqualTo(new RemoteWriteClient.Result.Sent(204, 1));
        var h = seen.getFirst();
        assertThat(h.getFirst("Content-Encoding")).isEqualTo("snappy");
        assertThat(h.getFirst("Content-Type")).isEqualTo("application/x-protobuf");
        assertThat(h.getFirst("X-Prometheus-Remote-Write-Version")).isEqualTo("0.1.0");
        assertThat(h.getFirst("User-Agent")).startsWith("tiergate/");
        assertThat(h.containsKey("Authorization")).as("a plain Prometheus gets no signature").isFalse();
        byte[] body = Snappy.uncompress(bodies.getFirst());
        assertThat(body).isEqualTo(raw);
        List<Map<String, String>> series = decode(body);
        assertThat(series).anySatisfy(l -> assertThat(l).containsEntry("__name__", "tiergate_requests_total")
                .containsEntry("tier", "small").containsEntry("job", "tiergate"));
        for (Map<String, String> l : series) {
            assertThat(new ArrayList<>(l.keySet())).as("label names sorted").isSorted();
        }
    }

    @Test
    void retries5xxAnd429ThenSucceeds() throws Exception {
        URI url = serve(503, 429, 200);
        assertThat(client(url, Optional.empty()).send(request())).isEqualTo(new RemoteWriteClient.Result.Sent(200, 3));
        assertThat(seen.get(1).getFirst("Retry-Attempt")).isEqualTo("1");
        assertThat(bodies.get(0)).isEqualTo(bodies.get(2));
    }

    @Test
    void dropsOther4xxWithoutRetrying() throws Exception {
        URI url = serve(400, 204);
        RemoteWriteClient.Result r = client(url, Optional.empty()).send(request());
        assertThat(r).isInstanceOf(RemoteWriteClient.Result.Dropped.class);
        assertThat(((RemoteWriteClient.Result.Dropped) r).status()).isEqualTo(400);
        assertThat(seen).hasSize(1);
    }

    @Test
    void givesUpAfterItsAttempts() throws Exception {
        URI url = serve(500);
        assertThat(client(url, Optional.empty()).send(request())).isInstanceOf(RemoteWriteClient.Result.GaveUp.class);
        assertThat(seen).hasSize(4);
    }

    @Test
    void signsWithSigV4ForServiceAps() throws Exception {
        URI url = serve(200);
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
        client(url, Optional.of(new RemoteWriteClient.Signing("eu-west-1", creds))).send(request());
        String auth = seen.getFirst().getFirst("Authorization");
        assertThat(auth).startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/").contains("/eu-west-1/aps/aws4_request")
                .contains("SignedHeaders=").contains("content-encoding").contains("host").contains("x-amz-date");
        assertThat(seen.getFirst().getFirst("X-Amz-Date")).matches("\\d{8}T\\d{6}Z");
        assertThat(auth).doesNotContain("wJalrXUtnFEMI");
    }

    /** A minimal WriteRequest reader: the label sets of its series. */
    static List<Map<String, String>> decode(byte[] body) throws Exception {
        List<Map<String, String>> out = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(body);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            assertThat(tag >>> 3).isEqualTo(1);
            CodedInputStream ts = CodedInputStream.newInstance(in.readByteArray());
            Map<String, String> labels = new TreeMap<>();
            List<String> order = new ArrayList<>();
            while (!ts.isAtEnd()) {
                int t = ts.readTag();
                byte[] msg = ts.readByteArray();
                if (t >>> 3 != 1) continue;
                CodedInputStream l = CodedInputStream.newInstance(msg);
                String name = null, value = null;
                while (!l.isAtEnd()) {
                    int lt = l.readTag();
                    if (lt >>> 3 == 1) name = l.readString();
                    else value = l.readString();
                }
                labels.put(name, value);
                order.add(name);
            }
            assertThat(order).as("labels in the order sent are sorted").isSorted();
            Map<String, String> inOrder = new java.util.LinkedHashMap<>();
            order.forEach(k -> inOrder.put(k, labels.get(k)));
            out.add(inOrder);
        }
        return out;
    }
}
