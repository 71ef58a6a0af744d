package dev.tiergate.adapters.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.metrics.PrometheusText;
import dev.tiergate.core.fleet.ReplicaProbe;
import dev.tiergate.core.fleet.ReplicaStatus;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Probes a vLLM replica over HTTP: {@code GET /health} (200 once the engine is up), {@code GET /v1/models} (the tier's
 * model must be listed: a replica started with the wrong weights is unhealthy) and {@code GET /metrics} for queue
 * depth, running requests and KV-cache use (falling back to the pre-0.10 {@code gpu_cache_usage_perc}).
 */
public final class HttpReplicaProbe implements ReplicaProbe {

    private final Duration timeout;
    private final ObjectMapper json = new ObjectMapper();
    private volatile HttpClient http;

    public HttpReplicaProbe(Duration timeout) {
        this.timeout = timeout;
    }

    /** Made at the first probe: a JDK client starts a selector thread, which a gateway's start need not wait for. */
    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
                h = http;
            }
        }
        return h;
    }

    @Override
    public ReplicaStatus probe(String tier, String model, URI replica) {
        try {
            HttpResponse<String> h = get(replica, "/health");
            if (h.statusCode() != 200) return down(tier, replica, "/health answered " + h.statusCode());
            HttpResponse<String> m = get(replica, "/v1/models");
            if (m.statusCode() != 200) return down(tier, replica, "/v1/models answered " + m.statusCode());
            JsonNode models = json.readTree(m.body()).path("data");
            boolean serves = false;
            for (JsonNode n : models) serves |= model.equals(n.path("id").asText());
            if (!serves) return down(tier, replica, "does not serve model '" + model + "'");
            HttpResponse<String> x = get(replica, "/metrics");
            if (x.statusCode() != 200) return down(tier, replica, "/metrics answered " + x.statusCode());
            PrometheusText.Scrape s = PrometheusText.parse(x.body());
            double kv = s.max("vllm:kv_cache_usage_perc").or(() -> s.max("vllm:gpu_cache_usage_perc")).orElse(0.0);
            return new ReplicaStatus(tier, replica, true, s.sum("vllm:num_requests_waiting").orElse(0.0),
                    s.sum("vllm:num_requests_running").orElse(0.0), kv, "");
        } catch (IOException | RuntimeException e) {
            return down(tier, replica, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down(tier, replica, "interrupted");
        }
    }

    private HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
        return http().send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ReplicaStatus down(String tier, URI replica, String reason) {
        return new ReplicaStatus(tier, replica, false, 0, 0, 0, reason);
    }
}
