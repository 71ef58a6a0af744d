package dev.tiergate.adapters.metrics;

import com.google.protobuf.CodedOutputStream;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns client_java snapshots into a remote-write 1.0 {@code prometheus.WriteRequest} (contracts E.1, E.3): counters as
 * {@code <name>_total}, classic histograms as cumulative {@code _bucket{le}} series plus {@code _sum} and {@code _count},
 * gauges as they are. Every series carries its complete label set, sorted by byte order with {@code __name__} among them.
 *
 * <p>The message has four types and six fields, so it is written field by field with protobuf's own
 * {@link CodedOutputStream} rather than generated from a .proto at build time.
 */
public final class RemoteWriteEncoder {

    /** One series with one sample: what a push is made of. */
    public record Series(Map<String, String> labels, double value, long timestampMs) {
    }

    private final Map<String, String> extraLabels;

    /** @param extraLabels added to every series (for example {@code job} and {@code instance}) */
    public RemoteWriteEncoder(Map<String, String> extraLabels) {
        this.extraLabels = Map.copyOf(extraLabels);
    }

    public List<Series> series(MetricSnapshots snapshots, long timestampMs) {
        List<Series> out = new ArrayList<>();
        for (MetricSnapshot s : snapshots) {
            String name = s.getMetadata().getPrometheusName();
            switch (s) {
                case CounterSnapshot c -> c.getDataPoints().forEach(p ->
                        out.add(series(name + "_total", p.getLabels(), Map.of(), p.getValue(), timestampMs)));
                case GaugeSnapshot g -> g.getDataPoints().forEach(p ->
                        out.add(series(name, p.getLabels(), Map.of(), p.getValue(), timestampMs)));
                case HistogramSnapshot h -> h.getDataPoints().forEach(p -> {
                    long cumulative = 0;
                    for (ClassicHistogramBucket b : p.getClassicBuckets()) {
                        cumulative += b.getCount();
                        out.add(series(name + "_bucket", p.getLabels(), Map.of("le", le(b.getUpperBound())), cumulative, timestampMs));
                    }
                    out.add(series(name + "_count", p.getLabels(), Map.of(), p.getCount(), timestampMs));
                    out.add(series(name + "_sum", p.getLabels(), Map.of(), p.hasSum() ? p.getSum() : 0, timestampMs));
                });
                default -> {
                    // summaries, info and state sets: the gateway registers none
                }
            }
        }
        return out;
    }

    private static String le(double bound) {
        if (bound == Double.POSITIVE_INFINITY) return "+Inf";
        return bound == Math.rint(bound) && Math.abs(bound) < 1e15 ? Long.toString((long) bound) + ".0" : Double.toString(bound);
    }

    private Series series(String name, Labels labels, Map<String, String> more, double value, long ts) {
        // TreeMap on String: plain byte order for ASCII names, which is what the spec asks for.
        TreeMap<String, String> all = new TreeMap<>(extraLabels);
        for (Label l : labels) all.put(l.getName(), l.getValue());
        all.putAll(more);
        all.put("__name__", name);
        return new Series(all, value, ts);
    }

    /** The serialized WriteRequest (not yet compressed). */
    public byte[] encode(List<Series> series) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(body);
            for (Series s : series) out.writeByteArray(1, timeSeries(s));
            out.flush();
            return body.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] timeSeries(Series s) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream ts = CodedOutputStream.newInstance(buf);
        for (Map.Entry<String, String> l : s.labels().entrySet()) {
            ByteArrayOutputStream lb = new ByteArrayOutputStream();
            CodedOutputStream label = CodedOutputStream.newInstance(lb);
            label.writeString(1, l.getKey());
            label.writeString(2, l.getValue());
            label.flush();
            ts.writeByteArray(1, lb.toByteArray());
        }
        ByteArrayOutputStream sb = new ByteArrayOutputStream();
        CodedOutputStream sample = CodedOutputStream.newInstance(sb);
        sample.writeDouble(1, s.value());
        sample.writeInt64(2, s.timestampMs());
        sample.flush();
        ts.writeByteArray(2, sb.toByteArray());
        ts.flush();
        return buf.toByteArray();
    }
}
