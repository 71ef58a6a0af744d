package dev.tiergate.adapters.metrics;

import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrometheusTextTest {

    private static String fixture() throws Exception {
        try (InputStream in = PrometheusTextTest.class.getResourceAsStream("/vllm-metrics.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsVllmTextAsPrometheusClientWritesIt() throws Exception {
        PrometheusText.Scrape s = PrometheusText.parse(fixture());
        assertThat(s.sum("vllm:num_requests_waiting")).contains(12.0);
        assertThat(s.sum("vllm:num_requests_running")).contains(5.0);
        assertThat(s.max("vllm:kv_cache_usage_perc")).contains(0.9650);
        assertThat(s.named("vllm:prompt_tokens_total").getFirst().value()).isEqualTo(1_234_567.0);
        assertThat(s.families().get("vllm:time_to_first_token_seconds").type()).isEqualTo("histogram");
        assertThat(s.families().get("vllm:kv_cache_usage_perc").help()).isEqualTo("KV-cache usage. 1 means 100 percent usage.");
        List<PrometheusText.Sample> buckets = s.named("vllm:time_to_first_token_seconds_bucket");
        assertThat(buckets).extracting(b -> b.labels().get("le")).containsExactly("0.001", "0.005", "2560.0", "+Inf");
        assertThat(s.named("vllm:request_success_total")).extracting(x -> x.labels().get("finished_reason")).containsExactly("stop", "length");
        assertThat(s.named("vllm:cache_config_info").getFirst().labels()).containsEntry("num_gpu_blocks", "None").hasSize(7);
        assertThat(s.sum("vllm:gpu_cache_usage_perc")).isEmpty();
    }

    @Test
    void unescapesLabelValuesAndReadsSpecialValuesAndTimestamps() throws Exception {
        List<PrometheusText.Sample> odd = PrometheusText.parse(fixture()).named("odd_labels");
        assertThat(odd.getFirst().labels()).containsEntry("path", "C:\\models\\x").containsEntry("quote", "say \"hi\"")
                .containsEntry("multi", "a\nb").containsEntry("empty", "");
        assertThat(odd.getFirst().value()).isNaN();
        assertThat(odd.getFirst().timestampMs()).hasValue(1_732_600_000_000L);
        assertThat(odd.get(1).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(odd.get(2).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void readsTheSimulatorsOwnMetricsPage() throws Exception {
        try (SimulatedReplica r = SimulatedReplica.start(ReplicaSettings.builder("llama-3.1-8b-instruct").timeScale(0).build())) {
            String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(r.baseUrl().resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            PrometheusText.Scrape s = PrometheusText.parse(text);
            assertThat(s.sum("vllm:num_requests_waiting")).contains(0.0);
            assertThat(s.named("vllm:kv_cache_usage_perc").getFirst().labels()).containsEntry("model_name", "llama-3.1-8b-instruct");
            assertThat(s.families().values()).anyMatch(f -> f.type().equals("histogram"));
        }
    }

    @Test
    void malformedLinesAreErrorsNamingTheLine() {
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx{a=\"1\" 2\n")).hasMessageContaining("line 2");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=\"unterminated} 1\n")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> PrometheusText.parse("x 1 2 3\n")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> PrometheusText.parse("x one\n")).hasMessageContaining("bad value 'one'");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=\"1\",a=\"2\"} 1\n")).hasMessageContaining("twice");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=\"\\q\"} 1\n")).hasMessageContaining("unknown escape");
    }
}
