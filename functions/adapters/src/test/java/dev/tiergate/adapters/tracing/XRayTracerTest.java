package dev.tiergate.adapters.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.observability.Tracer;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tracer's UDP documents, received by a socket standing where the X-Ray daemon listens. */
class XRayTracerTest {

    private static final String HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    private static JsonNode receive(DatagramSocket daemon) throws Exception {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        daemon.receive(p);
        String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("{\"format\":\"json\",\"version\":1}\n");
        return new ObjectMapper().readTree(text.substring(text.indexOf('\n') + 1));
    }

    @Test
    void nestedSpansAreSubsegmentsOfTheInvocationWithTheirParents() throws Exception {
        try (DatagramSocket daemon = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             XRayTracer tracer = new XRayTracer((InetSocketAddress) daemon.getLocalSocketAddress(), () -> Optional.of(HEADER))) {
            daemon.setSoTimeout(5_000);
            try (Tracer.Span outer = tracer.span("dispatch")) {
                outer.annotate("tier", "small");
                try (Tracer.Span inner = tracer.span("settle")) {
                    inner.fail(new IllegalStateException("ledger busy"));
                }
            }
            JsonNode inner = receive(daemon);
            JsonNode outer = receive(daemon);
            assertThat(inner.get("name").asText()).isEqualTo("settle");
            assertThat(outer.get("name").asText()).isEqualTo("dispatch");
            assertThat(outer.get("parent_id").asText()).isEqualTo("53995c3f42cd8ad8");
            assertThat(inner.get("parent_id").asText()).isEqualTo(outer.get("id").asText());
            assertThat(outer.get("trace_id").asText()).isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
            assertThat(outer.get("type").asText()).isEqualTo("subsegment");
            assertThat(outer.get("id").asText()).matches("[0-9a-f]{16}");
            assertThat(outer.get("end_time").asDouble()).isGreaterThanOrEqualTo(outer.get("start_time").asDouble());
            assertThat(outer.at("/annotations/tier").asText()).isEqualTo("small");
            assertThat(inner.get("fault").asBoolean()).isTrue();
            assertThat(inner.at("/cause/exceptions/0/message").asText()).isEqualTo("ledger busy");
        }
    }

    @Test
    void sendsNothingWhenNotSampledOrNoTraceHeader() throws Exception {
        try (DatagramSocket daemon = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            daemon.setSoTimeout(300);
            InetSocketAddress at = (InetSocketAddress) daemon.getLocalSocketAddress();
            try (XRayTracer unsampled = new XRayTracer(at, () -> Optional.of(HEADER.replace("Sampled=1", "Sampled=0")));
                 XRayTracer none = new XRayTracer(at, Optional::empty)) {
                unsampled.span("routing").close();
                none.span("routing").close();
            }
            assertThatThrownBy(() -> receive(daemon)).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void readsTheDaemonAddressInBothForms() {
        assertThat(XRayTracer.daemonAddress("169.254.79.129:2000").getPort()).isEqualTo(2000);
        assertThat(XRayTracer.daemonAddress("tcp:127.0.0.1:2001 udp:127.0.0.1:2002").getPort()).isEqualTo(2002);
        assertThatThrownBy(() -> XRayTracer.daemonAddress("nohost")).hasMessageContaining("host:port");
    }
}
