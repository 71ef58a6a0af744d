package dev.tiergate.local.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A load run against one target, or two interleaved ({@code --compare}): each client alternates between them request by
 * request, so both see the same machine, the same moment and the same prompts, and the difference is the gateway.
 * <ul>
 *   <li>closed loop: N clients, each sends its next request when the last one is answered (throughput finds its level);</li>
 *   <li>open loop: requests start at a fixed rate whatever happens to earlier ones, so queueing shows as latency.</li>
 * </ul>
 */
public final class BenchRun {

    /** The outcome for one target. */
    public record Result(String target, double seconds, List<BenchTarget.Sample> samples) {
        public long ok() {
            return samples.stream().filter(BenchTarget.Sample::ok).count();
        }

        public double throughput() {
            return seconds <= 0 ? 0 : ok() / seconds;
        }

        public LatencyStats latency() {
            return new LatencyStats(samples.stream().filter(BenchTarget.Sample::ok).mapToLong(BenchTarget.Sample::latencyNanos).toArray());
        }

        public LatencyStats ttft() {
            return new LatencyStats(samples.stream().filter(s -> s.ok() && s.ttftNanos() >= 0).mapToLong(BenchTarget.Sample::ttftNanos).toArray());
        }

        public Map<String, Long> errors() {
            Map<String, Long> m = new TreeMap<>();
            samples.stream().filter(s -> !s.ok()).forEach(s -> m.merge(s.error(), 1L, Long::sum));
            return m;
        }
    }

    private BenchRun() {
    }

    /**
     * @param bodies   per target, the request body for its request number i (prompt mix)
     * @param warmup   requests per target sent first and not counted (JIT, connection pools)
     */
    public static List<Result> closedLoop(List<BenchTarget> targets, int clients, long requestsPerTarget, int warmup,
                                          List<IntFunction<String>> bodies, boolean stream) throws InterruptedException {
        warm(targets, warmup, bodies, stream);
        List<List<BenchTarget.Sample>> per = buckets(targets.size());
        AtomicLong next = new AtomicLong();
        long total = requestsPerTarget * targets.size();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    long n;
                    while ((n = next.getAndIncrement()) < total) sendNumbered(n, targets, bodies, stream, per);
                });
            }
        }
        return results(targets, start, per);
    }

    /** Requests start every 1/rate seconds (alternating targets), each on its own virtual thread. */
    public static List<Result> openLoop(List<BenchTarget> targets, double ratePerSecond, long requestsPerTarget, int warmup,
                                        List<IntFunction<String>> bodies, boolean stream) throws InterruptedException {
        warm(targets, warmup, bodies, stream);
        List<List<BenchTarget.Sample>> per = buckets(targets.size());
        long total = requestsPerTarget * targets.size();
        long intervalNanos = (long) (1e9 / ratePerSecond);
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long n = 0; n < total; n++) {
                long wait = start + n * intervalNanos - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                long k = n;
                pool.submit(() -> sendNumbered(k, targets, bodies, stream, per));
            }
        }
        return results(targets, start, per);
    }

    /** Uncounted requests, one at a time, to each target in turn. */
    private static void warm(List<BenchTarget> targets, int warmup, List<IntFunction<String>> bodies, boolean stream) {
        for (int i = 0; i < warmup; i++) for (int t = 0; t < targets.size(); t++) targets.get(t).send(bodies.get(t).apply(i), stream);
    }

    private static List<List<BenchTarget.Sample>> buckets(int targets) {
        List<List<BenchTarget.Sample>> per = new ArrayList<>();
        for (int i = 0; i < targets; i++) per.add(Collections.synchronizedList(new ArrayList<>()));
        return per;
    }

    /** Request number n overall: target n mod the number of targets, with that target's body number n / targets. */
    private static void sendNumbered(long n, List<BenchTarget> targets, List<IntFunction<String>> bodies, boolean stream,
                                     List<List<BenchTarget.Sample>> per) {
        int which = (int) (n % targets.size());
        per.get(which).add(targets.get(which).send(bodies.get(which).apply((int) (n / targets.size())), stream));
    }

    private static List<Result> results(List<BenchTarget> targets, long start, List<List<BenchTarget.Sample>> per) {
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) out.add(new Result(targets.get(i).url().toString(), seconds, List.copyOf(per.get(i))));
        return out;
    }
}
