package dev.tiergate.sim;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The replica's {@code /metrics}, with vLLM V1's names, labels ({@code model_name}, {@code engine}), HELP and TYPE
 * lines, counters exposed as {@code _total} with their {@code _created} gauges, and vLLM's histogram buckets, in the
 * text format that Python's prometheus_client writes.
 */
public final class VllmMetrics {

    static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
            7.5, 10, 20, 40, 80, 160, 640, 2560};
    static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5,
            10, 20, 40, 80};
    static final double[] REQUEST_BUCKETS = {0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240,
            480, 960, 1920, 7680};

    private final String labels;
    private final double createdSeconds;
    private final LongSupplier running;
    private final LongSupplier waiting;
    private final java.util.function.DoubleSupplier kvUsage;
    private final PrefixCache prefixCache;
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generationTokens = new LongAdder();
    private final Map<String, LongAdder> success = new TreeMap<>();
    final Histogram ttft = new Histogram(TTFT_BUCKETS);
    final Histogram itl = new Histogram(ITL_BUCKETS);
    final Histogram e2e = new Histogram(REQUEST_BUCKETS);
    final Histogram queue = new Histogram(REQUEST_BUCKETS);
    private final int blockSize;
    private final double gpuMemoryUtilization = 0.92;

    public VllmMetrics(String modelName, LongSupplier running, LongSupplier waiting,
                       java.util.function.DoubleSupplier kvUsage, PrefixCache prefixCache) {
        this.labels = "model_name=\"" + escape(modelName) + "\",engine=\"0\"";
        this.createdSeconds = System.currentTimeMillis() / 1000.0;
        this.running = running;
        this.waiting = waiting;
        this.kvUsage = kvUsage;
        this.prefixCache = prefixCache;
        this.blockSize = prefixCache.blockSize();
        for (String r : new String[]{"stop", "length", "abort", "error", "repetition"}) success.put(r, new LongAdder());
    }

    public void recordPromptTokens(int n) { promptTokens.add(n); }

    public void recordGeneratedTokens(int n) { generationTokens.add(n); }

    public void recordFinished(String reason) {
        LongAdder a = success.get(reason);
        if (a != null) a.increment();
    }

    public long promptTokens() { return promptTokens.sum(); }

    public long generationTokens() { return generationTokens.sum(); }

    public long finished(String reason) { return success.get(reason).sum(); }

    public String render() {
        StringBuilder sb = new StringBuilder(8192);
        gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", running.getAsLong());
        gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", waiting.getAsLong());
        gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kvUsage.getAsDouble());
        counter(sb, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.", prefixCache.queries());
        counter(sb, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", prefixCache.hits());
        counter(sb, "vllm:num_preemptions", "Cumulative number of preemption from the engine.", 0);
        counter(sb, "vllm:prompt_tokens", "Number of prefill tokens processed.", promptTokens.sum());
        counter(sb, "vllm:generation_tokens", "Number of generation tokens processed.", generationTokens.sum());
        sb.append("# HELP vllm:request_success_total Count of successfully processed requests.\n");
        sb.append("# TYPE vllm:request_success_total counter\n");
        success.forEach((reason, n) -> sb.append("vllm:request_success_total{").append(labels)
                .append(",finished_reason=\"").append(reason).append("\"} ").append(fmt(n.sum())).append('\n'));
        sb.append("# HELP vllm:request_success_created Count of successfully processed requests.\n");
        sb.append("# TYPE vllm:request_success_created gauge\n");
        success.forEach((reason, n) -> sb.append("vllm:request_success_created{").append(labels)
                .append(",finished_reason=\"").append(reason).append("\"} ").append(fmt(createdSeconds)).append('\n'));
        histogram(sb, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttft);
        histogram(sb, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itl);
        histogram(sb, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", e2e);
        histogram(sb, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", queue);
        sb.append("# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n");
        sb.append("# TYPE vllm:cache_config_info gauge\n");
        sb.append("vllm:cache_config_info{block_size=\"").append(blockSize)
                .append("\",enable_prefix_caching=\"True\",engine=\"0\",gpu_memory_utilization=\"")
                .append(fmt(gpuMemoryUtilization)).append("\"} 1.0\n");
        return sb.toString();
    }

    private void gauge(StringBuilder sb, String name, String help, double v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
        sb.append(name).append('{').append(labels).append("} ").append(fmt(v)).append('\n');
    }

    private void counter(StringBuilder sb, String base, String help, double v) {
        sb.append("# HELP ").append(base).append("_total ").append(help).append('\n');
        sb.append("# TYPE ").append(base).append("_total counter\n");
        sb.append(base).append("_total{").append(labels).append("} ").append(fmt(v)).append('\n');
        sb.append("# HELP ").append(base).append("_created ").append(help).append('\n');
        sb.append("# TYPE ").append(base).append("_created gauge\n");
        sb.append(base).append("_created{").append(labels).append("} ").append(fmt(createdSeconds)).append('\n');
    }

    private void histogram(StringBuilder sb, String name, String help, Histogram h) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" histogram\n");
        long[] cumulative = h.cumulative();
        for (int i = 0; i < h.bounds.length; i++) {
            sb.append(name).append("_bucket{").append(labels).append(",le=\"").append(fmt(h.bounds[i])).append("\"} ")
                    .append(fmt(cumulative[i])).append('\n');
        }
        sb.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(fmt(h.count())).append('\n');
        sb.append(name).append("_count{").append(labels).append("} ").append(fmt(h.count())).append('\n');
        sb.append(name).append("_sum{").append(labels).append("} ").append(fmt(h.sum())).append('\n');
        sb.append("# HELP ").append(name).append("_created ").append(help).append('\n');
        sb.append("# TYPE ").append(name).append("_created gauge\n");
        sb.append(name).append("_created{").append(labels).append("} ").append(fmt(createdSeconds)).append('\n');
    }

    /** Python's float repr for the values prometheus_client writes: always a decimal point or an exponent. */
    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e16) return String.format(Locale.ROOT, "%.1f", v);
        String s = Double.toString(v);
        if (s.contains("E")) {
            String[] parts = s.split("E");
            int exp = Integer.parseInt(parts[1]);
            return parts[0] + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
        }
        return s;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A fixed-bucket histogram, safe under concurrent observation. */
    static final class Histogram {
        final double[] bounds;
        private final AtomicLong[] counts;
        private final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLong[bounds.length];
            for (int i = 0; i < bounds.length; i++) counts[i] = new AtomicLong();
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts[i].incrementAndGet();
                    break;
                }
            }
            count.increment();
            sum.add(v);
        }

        long[] cumulative() {
            long[] out = new long[bounds.length];
            long acc = 0;
            for (int i = 0; i < bounds.length; i++) {
                acc += counts[i].get();
                out[i] = acc;
            }
            return out;
        }

        long count() { return count.sum(); }

        double sum() { return sum.sum(); }
    }
}
