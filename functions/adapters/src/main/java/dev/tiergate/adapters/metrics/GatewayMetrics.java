package dev.tiergate.adapters.metrics;

import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.RequestOutcome;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The gateway's application metrics in Prometheus form: what {@code GET /metrics} shows and what remote-write pushes.
 * Labels are kept to tier, model, team and outcome so the series count stays bounded by configuration, never by
 * traffic (no request ids, no keys).
 */
public final class GatewayMetrics implements RequestObserver, dev.tiergate.core.fleet.FleetGauges {

    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    // vLLM's own latency buckets (contracts B.1), so gateway and fleet histograms line up on one dashboard.
    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
            7.5, 10, 20, 40, 80};
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15,
            20, 30, 60, 120};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter tokens;
    private final Counter cost;
    private final Counter cacheHits;
    private final Counter fallbacks;
    private final Counter budgetActions;
    private final Histogram latency;
    private final Histogram ttft;
    private final Histogram routingScore;
    private final Gauge waiting;
    private final Gauge running;
    private final Gauge kvCache;
    private final Gauge replicaUp;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public GatewayMetrics() {
        requests = Counter.builder().name("tiergate_requests_total").help("Chat requests by how they ended")
                .labelNames("tier", "model", "outcome", "code").register(registry);
        tokens = Counter.builder().name("tiergate_tokens_total").help("Tokens billed, by kind (prompt, completion, cached)")
                .labelNames("tier", "kind").register(registry);
        cost = Counter.builder().name("tiergate_cost_usd_total").help("Spend in US dollars")
                .labelNames("tier", "team").register(registry);
        cacheHits = Counter.builder().name("tiergate_response_cache_hits_total").help("Answers served from the response cache")
                .labelNames("tier").register(registry);
        fallbacks = Counter.builder().name("tiergate_fallbacks_total").help("Requests answered by a fallback tier")
                .labelNames("from", "to").register(registry);
        budgetActions = Counter.builder().name("tiergate_budget_actions_total").help("Budget decisions: allow, downgrade, reject")
                .labelNames("action").register(registry);
        latency = Histogram.builder().name("tiergate_request_duration_seconds").help("Request latency, gateway in to last byte out")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS).labelNames("tier").register(registry);
        ttft = Histogram.builder().name("tiergate_time_to_first_token_seconds").help("Time to the first token (streams) or the answer")
                .classicOnly().classicUpperBounds(TTFT_BUCKETS).labelNames("tier").register(registry);
        routingScore = Histogram.builder().name("tiergate_routing_score").help("Complexity scores the router gave")
                .classicOnly().classicLinearUpperBounds(0.1, 0.1, 10).register(registry);
        waiting = Gauge.builder().name("tiergate_fleet_requests_waiting").help("vllm:num_requests_waiting per replica")
                .labelNames("tier", "replica").register(registry);
        running = Gauge.builder().name("tiergate_fleet_requests_running").help("vllm:num_requests_running per replica")
                .labelNames("tier", "replica").register(registry);
        kvCache = Gauge.builder().name("tiergate_fleet_kv_cache_usage_ratio").help("vllm:kv_cache_usage_perc per replica, 0 to 1")
                .labelNames("tier", "replica").register(registry);
        replicaUp = Gauge.builder().name("tiergate_fleet_replica_up").help("1 when the replica passed its last health check")
                .labelNames("tier", "replica").register(registry);
    }

    @Override
    public void observe(RequestOutcome o) {
        String tier = o.tier();
        requests.labelValues(tier, o.model(), o.outcome().wire(), Integer.toString(o.status())).inc();
        budgetActions.labelValues(o.budgetAction().wire()).inc();
        if (o.cacheHit()) cacheHits.labelValues(tier).inc();
        o.fallbackFrom().ifPresent(from -> fallbacks.labelValues(from, tier).inc());
        if (o.outcome() == dev.tiergate.core.usage.Outcome.BUDGET_REJECTED) return;
        tokens.labelValues(tier, "prompt").inc(o.tokens().promptTokens());
        tokens.labelValues(tier, "completion").inc(o.tokens().completionTokens());
        tokens.labelValues(tier, "cached").inc(o.tokens().cachedTokens());
        cost.labelValues(tier, o.team()).inc(o.cost().amount().doubleValue());
        latency.labelValues(tier).observe(o.latencyMs() / 1000.0);
        ttft.labelValues(tier).observe(o.ttftMs() / 1000.0);
        o.routingScore().ifPresent(routingScore::observe);
    }

    /** What the fleet monitor measured of one replica. */
    public void replica(String tier, String replica, boolean up, double requestsWaiting, double requestsRunning, double kvCacheUsage) {
        replicaUp.labelValues(tier, replica).set(up ? 1 : 0);
        waiting.labelValues(tier, replica).set(requestsWaiting);
        running.labelValues(tier, replica).set(requestsRunning);
        kvCache.labelValues(tier, replica).set(kvCacheUsage);
    }

    @Override
    public void publish(java.util.List<dev.tiergate.core.fleet.ReplicaStatus> replicas) {
        for (dev.tiergate.core.fleet.ReplicaStatus r : replicas) {
            replica(r.tier(), r.replica().toString(), r.healthy(), r.requestsWaiting(), r.requestsRunning(), r.kvCacheUsage());
        }
    }

    public MetricSnapshots snapshot() {
        return registry.scrape();
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * {@code tiergate_settlements_pending}: settlements accepted and not yet written (a long-running gateway writes them
     * behind the answer). It should hover near zero; a rising line means DynamoDB is slower than the traffic or failing.
     */
    public void watchSettlementBacklog(java.util.function.LongSupplier pending) {
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("tiergate_settlements_pending")
                .help("Settlements (usage records and ledger changes) accepted and not yet written")
                .callback(cb -> cb.call(pending.getAsLong())).register(registry);
    }
}
