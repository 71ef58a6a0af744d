package dev.tiergate.adapters.tracing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.observability.Tracer;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Spans as AWS X-Ray subsegments of the Lambda invocation's segment, sent to the X-Ray daemon over UDP in its
 * documented format (a {@code {"format":"json","version":1}} header line, then the document). The invocation's trace
 * header ({@code Root=…;Parent=…;Sampled=1}) names the parent; nothing is sent when the request is not sampled or there
 * is no trace header. UDP send is fire-and-forget: tracing never slows or fails a request.
 *
 * <p>Hand-written because Powertools Tracing v2 is not in our Maven mirror and the X-Ray SDK's recorder brings global
 * state; the protocol is a single JSON document per span.
 */
public final class XRayTracer implements Tracer, AutoCloseable {

    private static final byte[] HEADER = "{\"format\":\"json\",\"version\":1}\n".getBytes(StandardCharsets.UTF_8);

    private final InetSocketAddress daemon;
    private final Supplier<Optional<String>> traceHeader;
    private final DatagramSocket socket;
    private final ObjectMapper json = new ObjectMapper();
    private final ThreadLocal<Deque<String>> open = ThreadLocal.withInitial(ArrayDeque::new);

    public XRayTracer(InetSocketAddress daemon, Supplier<Optional<String>> traceHeader) {
        this.daemon = daemon;
        this.traceHeader = traceHeader;
        try {
            this.socket = new DatagramSocket();
        } catch (SocketException e) {
            throw new IllegalStateException("no UDP socket for X-Ray", e);
        }
    }

    /** {@code AWS_XRAY_DAEMON_ADDRESS} is {@code host:port}, or {@code udp:host:port tcp:host:port}. */
    public static InetSocketAddress daemonAddress(String value) {
        String v = value.trim();
        for (String part : v.split("\\s+")) if (part.startsWith("udp:")) v = part.substring(4);
        int colon = v.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("AWS_XRAY_DAEMON_ADDRESS must be host:port, got '" + value + "'");
        return new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
    }

    @Override
    public Span span(String name) {
        Optional<String> header = traceHeader.get();
        if (header.isEmpty()) return NO_SPAN;
        String root = field(header.get(), "Root");
        String parent = field(header.get(), "Parent");
        if (root == null || parent == null || !"1".equals(field(header.get(), "Sampled"))) return NO_SPAN;
        Deque<String> stack = open.get();
        String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        String parentId = stack.isEmpty() ? parent : stack.peek();
        stack.push(id);
        double start = System.currentTimeMillis() / 1000.0;
        ObjectNode doc = json.createObjectNode();
        doc.put("name", name).put("id", id).put("trace_id", root).put("parent_id", parentId).put("type", "subsegment")
                .put("start_time", start);
        return new Span() {
            @Override
            public void fail(Throwable cause) {
                doc.put("fault", true);
                doc.putObject("cause").putArray("exceptions").addObject().put("type", cause.getClass().getSimpleName())
                        .put("message", String.valueOf(cause.getMessage()));
            }

            @Override
            public void annotate(String key, String value) {
                ((ObjectNode) doc.withObject("/annotations")).put(key.replaceAll("[^A-Za-z0-9_]", "_"), value);
            }

            @Override
            public void close() {
                stack.remove(id);
                doc.put("end_time", System.currentTimeMillis() / 1000.0);
                send(doc);
            }
        };
    }

    private void send(ObjectNode doc) {
        try {
            byte[] body = json.writeValueAsBytes(doc);
            byte[] packet = new byte[HEADER.length + body.length];
            System.arraycopy(HEADER, 0, packet, 0, HEADER.length);
            System.arraycopy(body, 0, packet, HEADER.length, body.length);
            socket.send(new DatagramPacket(packet, packet.length, daemon));
        } catch (IOException e) {
            // dropped: a trace is worth less than the request it describes
        }
    }

    private static String field(String header, String name) {
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(name)) return part.substring(eq + 1).trim();
        }
        return null;
    }

    @Override
    public void close() {
        socket.close();
    }
}
