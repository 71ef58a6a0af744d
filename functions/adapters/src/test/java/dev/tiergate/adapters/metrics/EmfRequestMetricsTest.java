package dev.tiergate.adapters.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import software.amazon.lambda.powertools.metrics.MetricsFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The EMF documents Powertools writes for a request, checked against the format's rules (contracts F): one JSON object
 * per line; {@code _aws.Timestamp} in epoch milliseconds; each directive's namespace valid; every dimension a string
 * member at the root; every metric a finite number (or array of them) at the root; at most 100 metrics, 30 dimensions.
 * Surefire sets AWS_LAMBDA_FUNCTION_NAME so Powertools writes to stdout as in Lambda.
 */
class EmfRequestMetricsTest {

    private static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
            "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
            "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
            "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None");

    private final ObjectMapper json = new ObjectMapper();

    private List<JsonNode> capture(Runnable r) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        List<JsonNode> docs = new ArrayList<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            assertThat(line.trim()).as("an EMF event is one JSON object, nothing around it").startsWith("{").endsWith("}");
            docs.add(json.readTree(line));
        }
        return docs;
    }

    @Test
    void everyRequestIsOneValidEmfDocument() throws Exception {
        EmfRequestMetrics emf = new EmfRequestMetrics(MetricsFactory.getMetricsInstance(), "TiergateTest");
        List<JsonNode> docs = capture(() -> {
            emf.observe(Outcomes.ok("small", 120, 50, 30, "0.0000123"));
            emf.observe(Outcomes.rejected("large"));
        });
        // Each request writes its own document and the tier-demand one.
        assertThat(docs).hasSize(4);
        for (JsonNode d : docs) validEmf(d);
        JsonNode demand = docs.get(1);
        assertThat(demand.get(dev.tiergate.core.observability.FleetSignals.TIER_DEMAND).asDouble()).isEqualTo(1);
        assertThat(demand.at("/_aws/CloudWatchMetrics/0/Namespace").asText()).isEqualTo("TiergateTest");
        // Each dimension set is a series of its own: the scale-from-zero alarm reads the [tier] one.
        assertThat(dimensionSets(demand)).containsExactlyInAnyOrder(Set.of("tier"), Set.of("Service"));
        assertThat(demand.get("tier").asText()).isEqualTo("small");
        assertThat(demand.get("Service").asText()).isEqualTo("tiergate");
        docs = List.of(docs.get(0), docs.get(2));
        JsonNode ok = docs.getFirst();
        assertThat(ok.get("tier").asText()).isEqualTo("small");
        assertThat(ok.get("Latency").asDouble()).isEqualTo(120);
        assertThat(ok.get("PromptTokens").asDouble()).isEqualTo(50);
        assertThat(ok.get("CostUsd").asDouble()).isEqualTo(0.0000123);
        assertThat(ok.get("requestId").asText()).isEqualTo("req-120");
        assertThat(ok.get("team").asText()).isEqualTo("ml");
        // Powertools adds its constant Service dimension as a set of its own (CloudWatch then keeps a {tier, model} and a
        // {Service} series, never one with all three: what the alarms must ask for); team, key and request id stay properties.
        assertThat(dimensionSets(ok)).as("team, key and request id are properties, not dimensions")
                .containsExactlyInAnyOrder(Set.of("tier", "model"), Set.of("Service"));
        JsonNode rejected = docs.get(1);
        assertThat(rejected.get("BudgetRejected").asDouble()).isEqualTo(1);
        assertThat(rejected.has("Latency")).as("a rejected request has no latency to report").isFalse();
    }

    @Test
    void coldStartIsItsOwnMetric() throws Exception {
        EmfRequestMetrics emf = new EmfRequestMetrics(MetricsFactory.getMetricsInstance(), "TiergateTest");
        List<JsonNode> docs = capture(emf::coldStart);
        assertThat(docs).isNotEmpty();
        for (JsonNode d : docs) validEmf(d);
        assertThat(docs).anyMatch(d -> d.has("ColdStart") && d.get("ColdStart").asDouble() == 1);
    }

    private static void validEmf(JsonNode d) {
        JsonNode aws = d.get("_aws");
        assertThat(aws).as("_aws is required").isNotNull();
        long ts = aws.get("Timestamp").asLong();
        assertThat(aws.get("Timestamp").isIntegralNumber()).isTrue();
        assertThat(Math.abs(ts - Instant.now().toEpochMilli())).as("epoch milliseconds, near now").isLessThan(3_600_000);
        assertThat(aws.get("CloudWatchMetrics").isArray()).isTrue();
        for (JsonNode dir : aws.get("CloudWatchMetrics")) {
            assertThat(dir.get("Namespace").asText()).matches("[a-zA-Z0-9._#:/-]{1,255}");
            assertThat(dir.get("Metrics").size()).isBetween(1, 100);
            for (JsonNode set : dir.get("Dimensions")) {
                assertThat(set.size()).isLessThanOrEqualTo(30);
                for (JsonNode name : set) {
                    JsonNode v = d.get(name.asText());
                    assertThat(v).as("dimension %s is a root member", name).isNotNull();
                    assertThat(v.isTextual()).as("dimension values are strings").isTrue();
                    assertThat(v.asText().length()).isBetween(1, 1024);
                }
            }
            for (JsonNode m : dir.get("Metrics")) {
                String name = m.get("Name").asText();
                JsonNode v = d.get(name);
                assertThat(v).as("metric %s is a root member", name).isNotNull();
                List<JsonNode> values = new ArrayList<>();
                if (v.isArray()) v.forEach(values::add);
                else values.add(v);
                assertThat(values).hasSizeBetween(1, 100).allSatisfy(x -> {
                    assertThat(x.isNumber()).isTrue();
                    assertThat(Double.isFinite(x.asDouble())).isTrue();
                });
                if (m.has("Unit")) assertThat(UNITS).contains(m.get("Unit").asText());
            }
        }
    }

    /** The dimension sets of a document's first directive: each becomes a series of its own in CloudWatch. */
    private static List<Set<String>> dimensionSets(JsonNode doc) {
        List<Set<String>> sets = new ArrayList<>();
        doc.at("/_aws/CloudWatchMetrics/0/Dimensions").forEach(set -> {
            Set<String> names = new HashSet<>();
            set.forEach(n -> names.add(n.asText()));
            sets.add(names);
        });
        return sets;
    }
}
