package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.adapters.metrics.GatewayMetrics;
import dev.tiergate.adapters.metrics.RemoteWriteClient;
import dev.tiergate.adapters.metrics.RemoteWriteEncoder;
import dev.tiergate.adapters.metrics.RemoteWritePusher;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.observability.RequestOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** Remote-write 1.0 round trip: our client pushes, a real Prometheus stores, its query API reads the series back. */
class RemoteWritePrometheusTest {

    private static RealPrometheus prometheus;

    @BeforeAll
    static void start() throws Exception {
        prometheus = new RealPrometheus();
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) prometheus.close();
    }

    private static RequestOutcome outcome(String tier, long latencyMs, int prompt, int completion, String cost) {
        return new RequestOutcome("r", Instant.now(), "key_1", "ml", tier, tier + "-model", 200, dev.tiergate.core.usage.Outcome.OK, false, latencyMs,
                latencyMs, new TokenUsage(prompt, completion, 0), Usd.of(cost), false, Optional.empty(), dev.tiergate.core.budget.BudgetAction.ALLOW,
                OptionalDouble.of(0.3), Optional.empty());
    }

    private static RemoteWriteClient client(URI url) {
        return new RemoteWriteClient(url, Optional.empty(), 3, Duration.ofMillis(30), Duration.ofSeconds(1));
    }

    @Test
    void countersHistogramsAndGaugesArriveAndReadBack() throws Exception {
        GatewayMetrics metrics = new GatewayMetrics();
        for (int i = 0; i < 7; i++) metrics.observe(outcome("small", 40 + i, 100, 20, "0.0001"));
        metrics.observe(outcome("large", 2_000, 1000, 500, "0.0025"));
        metrics.replica("small", "http://10.0.0.1:8000", true, 12, 4, 0.75);
        RemoteWritePusher pusher = new RemoteWritePusher(metrics, new RemoteWriteEncoder(Map.of("job", "tiergate-test")),
                client(prometheus.writeUrl()), Clock.systemUTC());
        assertThat(pusher.pushNow()).isInstanceOf(RemoteWriteClient.Result.Sent.class)
                .extracting(r -> ((RemoteWriteClient.Result.Sent) r).status()).isEqualTo(204);

        JsonNode small = prometheus.query("tiergate_requests_total{job=\"tiergate-test\",tier=\"small\"}");
        assertThat(small).hasSize(1);
        assertThat(small.at("/0/metric/outcome").asText()).isEqualTo("ok");
        assertThat(small.at("/0/value/1").asDouble()).isEqualTo(7);
        assertThat(prometheus.query("tiergate_tokens_total{tier=\"large\",kind=\"completion\"}").at("/0/value/1").asDouble()).isEqualTo(500);
        assertThat(prometheus.query("tiergate_fleet_requests_waiting{tier=\"small\"}").at("/0/value/1").asDouble()).isEqualTo(12);
        // Buckets are cumulative: le=+Inf equals _count, and the 0.05 s bucket holds the seven small requests (40-46 ms).
        assertThat(prometheus.query("tiergate_request_duration_seconds_bucket{tier=\"small\",le=\"+Inf\"}").at("/0/value/1").asDouble()).isEqualTo(7);
        assertThat(prometheus.query("tiergate_request_duration_seconds_bucket{tier=\"small\",le=\"0.05\"}").at("/0/value/1").asDouble()).isEqualTo(7);
        assertThat(prometheus.query("tiergate_request_duration_seconds_bucket{tier=\"small\",le=\"0.025\"}").at("/0/value/1").asDouble()).isEqualTo(0);
        assertThat(prometheus.query("tiergate_request_duration_seconds_count{tier=\"large\"}").at("/0/value/1").asDouble()).isEqualTo(1);
        assertThat(prometheus.query("tiergate_request_duration_seconds_sum{tier=\"large\"}").at("/0/value/1").asDouble()).isEqualTo(2.0);
        double p50 = prometheus.query("histogram_quantile(0.5, tiergate_request_duration_seconds_bucket{tier=\"small\"})").at("/0/value/1").asDouble();
        assertThat(p50).isBetween(0.025, 0.05);

        // A second push later carries the grown counter; Prometheus keeps both samples in order.
        metrics.observe(outcome("small", 45, 100, 20, "0.0001"));
        Thread.sleep(5);
        assertThat(pusher.pushNow()).isInstanceOf(RemoteWriteClient.Result.Sent.class);
        assertThat(prometheus.query("tiergate_requests_total{tier=\"small\"}").at("/0/value/1").asDouble()).isEqualTo(8);
    }

    @Test
    void prometheusRejectsAnOutOfOrderSampleAndTheClientDropsItWithoutRetrying() throws Exception {
        RemoteWriteEncoder e = new RemoteWriteEncoder(Map.of("job", "order-test"));
        long now = System.currentTimeMillis();
        var later = List.of(new RemoteWriteEncoder.Series(new java.util.TreeMap<>(Map.of("__name__", "ordered_metric", "job", "order-test")), 2, now));
        var earlier = List.of(new RemoteWriteEncoder.Series(new java.util.TreeMap<>(Map.of("__name__", "ordered_metric", "job", "order-test")), 1, now - 60_000));
        RemoteWriteClient c = client(prometheus.writeUrl());
        assertThat(c.send(e.encode(later))).isInstanceOf(RemoteWriteClient.Result.Sent.class);
        RemoteWriteClient.Result r = c.send(e.encode(earlier));
        assertThat(r).isInstanceOf(RemoteWriteClient.Result.Dropped.class);
        assertThat(((RemoteWriteClient.Result.Dropped) r).status()).isEqualTo(400);
        assertThat(prometheus.query("ordered_metric").at("/0/value/1").asDouble()).isEqualTo(2);
    }
}
