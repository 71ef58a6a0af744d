package dev.tiergate.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Elastic Load Balancing's {@code DescribeTargetHealth} for the SDK's {@code elasticloadbalancingv2} client with an
 * endpoint override: the Query protocol ({@code Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=...},
 * form-encoded, SigV4 for the service {@code elasticloadbalancing}) answered in the API reference's XML, a member per
 * target with its id, port and state (a reason and description unless healthy); {@code TargetGroupNotFound} for an
 * unknown group. Targets' states are set by the caller, as the load balancer's health checks would.
 */
public final class TargetHealthStandIn implements AutoCloseable {

    private static final String NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
    private static final Pattern SIGV4 = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=[^/]+/\\d{8}/[a-z0-9-]+/elasticloadbalancing/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}");

    public enum State {
        INITIAL("initial", "Elb.InitialHealthChecking", "Initial health checks in progress."),
        HEALTHY("healthy", null, null),
        UNHEALTHY("unhealthy", "Target.FailedHealthChecks", "Health checks failed"),
        DRAINING("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress");

        final String wire;
        final String reason;
        final String description;

        State(String wire, String reason, String description) {
            this.wire = wire;
            this.reason = reason;
            this.description = description;
        }
    }

    /** One registered target: an instance id on a port. */
    public record Target(String id, int port) {}

    private final Map<String, List<Target>> groups = new ConcurrentHashMap<>();
    private final Map<Target, State> states = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final HttpServer server;

    private TargetHealthStandIn(HttpServer server) {
        this.server = server;
    }

    public static TargetHealthStandIn start() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            TargetHealthStandIn standIn = new TargetHealthStandIn(s);
            s.createContext("/", standIn::handle);
            s.start();
            return standIn;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the DescribeTargetHealth stand-in", e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Registers a target in a group, in the state the load balancer's first checks give it. */
    public void register(String targetGroupArn, Target target, State state) {
        groups.computeIfAbsent(targetGroupArn, k -> new CopyOnWriteArrayList<>()).add(target);
        states.put(target, state);
    }

    public void set(Target target, State state) {
        states.put(target, state);
    }

    public long calls() {
        return calls.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !SIGV4.matcher(auth).matches()) {
                error(ex, 403, "Sender", auth == null ? "MissingAuthenticationToken" : "SignatureDoesNotMatch",
                        "The request must be signed with SigV4 for elasticloadbalancing.");
                return;
            }
            Map<String, String> form = new LinkedHashMap<>();
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String query = ex.getRequestURI().getRawQuery();
            for (String part : (body + "&" + (query == null ? "" : query)).split("&")) {
                int eq = part.indexOf('=');
                if (eq > 0) form.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
            if (!"DescribeTargetHealth".equals(form.get("Action")) || !"2015-12-01".equals(form.get("Version"))) {
                error(ex, 400, "Sender", "InvalidAction", "The action " + form.get("Action") + " is not valid for this web service.");
                return;
            }
            String arn = form.get("TargetGroupArn");
            if (arn == null) {
                error(ex, 400, "Sender", "ValidationError", "TargetGroupArn is required");
                return;
            }
            List<Target> targets = groups.get(arn);
            if (targets == null) {
                error(ex, 400, "Sender", "TargetGroupNotFound", "Target groups '" + arn + "' not found");
                return;
            }
            calls.incrementAndGet();
            StringBuilder xml = new StringBuilder("<DescribeTargetHealthResponse xmlns=\"" + NS + "\">\n  <DescribeTargetHealthResult>\n    <TargetHealthDescriptions>\n");
            for (Target t : targets) {
                State s = states.getOrDefault(t, State.INITIAL);
                xml.append("      <member>\n        <HealthCheckPort>").append(t.port()).append("</HealthCheckPort>\n")
                        .append("        <Target>\n          <Port>").append(t.port()).append("</Port>\n          <Id>").append(t.id())
                        .append("</Id>\n        </Target>\n        <TargetHealth>\n          <State>").append(s.wire).append("</State>\n");
                if (s.reason != null) {
                    xml.append("          <Reason>").append(s.reason).append("</Reason>\n          <Description>").append(s.description).append("</Description>\n");
                }
                xml.append("        </TargetHealth>\n      </member>\n");
            }
            xml.append("    </TargetHealthDescriptions>\n  </DescribeTargetHealthResult>\n  <ResponseMetadata>\n    <RequestId>")
                    .append(java.util.UUID.randomUUID()).append("</RequestId>\n  </ResponseMetadata>\n</DescribeTargetHealthResponse>\n");
            send(ex, 200, xml.toString());
        }
    }

    private static void error(HttpExchange ex, int status, String type, String code, String message) throws IOException {
        send(ex, status, "<ErrorResponse xmlns=\"" + NS + "\">\n  <Error>\n    <Type>" + type + "</Type>\n    <Code>" + code
                + "</Code>\n    <Message>" + message + "</Message>\n  </Error>\n  <RequestId>" + java.util.UUID.randomUUID()
                + "</RequestId>\n</ErrorResponse>\n");
    }

    private static void send(HttpExchange ex, int status, String xml) throws IOException {
        byte[] b = xml.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
