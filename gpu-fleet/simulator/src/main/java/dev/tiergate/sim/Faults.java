package dev.tiergate.sim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The faults a replica injects, each as a probability per request (0 to 1).
 *
 * <ul>
 *   <li>{@code error_rate} answers {@code error_status} (default 500) with vLLM's error body;</li>
 *   <li>{@code hang_rate} accepts the request and never answers (until the replica stops);</li>
 *   <li>{@code reset_rate} closes the connection without an answer;</li>
 *   <li>{@code cut_stream_rate} closes the connection half-way through the answer (stream or not), or after
 *       {@code cut_after_pieces} streamed pieces when that is 0 or more (0: before the first token);</li>
 *   <li>{@code malformed_rate} sends a broken JSON answer or SSE chunk;</li>
 *   <li>{@code ready_after_ms} makes the replica not ready for that long: at start its port refuses connections,
 *       at run time {@code /health} answers 503 and every API call 503.</li>
 * </ul>
 */
public record Faults(double errorRate, int errorStatus, double hangRate, double resetRate,
                     double cutStreamRate, double malformedRate, long readyAfterMs, int cutAfterPieces) {

    public static final Faults NONE = new Faults(0, 500, 0, 0, 0, 0, 0, -1);

    static final Set<String> FIELDS = Set.of("error_rate", "error_status", "hang_rate", "reset_rate",
            "cut_stream_rate", "malformed_rate", "ready_after_ms", "cut_after_pieces");

    public Faults {
        rate("error_rate", errorRate);
        rate("hang_rate", hangRate);
        rate("reset_rate", resetRate);
        rate("cut_stream_rate", cutStreamRate);
        rate("malformed_rate", malformedRate);
        if (errorStatus < 400 || errorStatus > 599) {
            throw new IllegalArgumentException("error_status must be an HTTP error status from 400 to 599, got " + errorStatus);
        }
        if (readyAfterMs < 0) throw new IllegalArgumentException("ready_after_ms must be >= 0, got " + readyAfterMs);
        if (cutAfterPieces < -1) throw new IllegalArgumentException("cut_after_pieces must be -1 (half-way) or more, got " + cutAfterPieces);
    }

    private static void rate(String name, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(name + " must be a number from 0 to 1, got " + v);
    }

    /** Returns these faults with the given fields replaced; unknown fields and wrong types are errors. */
    public Faults with(Map<String, ?> changes) {
        for (String k : changes.keySet()) {
            if (!FIELDS.contains(k)) throw new IllegalArgumentException("unknown fault field '" + k + "'; known: " + FIELDS);
        }
        return new Faults(
                number(changes, "error_rate", errorRate),
                (int) number(changes, "error_status", errorStatus),
                number(changes, "hang_rate", hangRate),
                number(changes, "reset_rate", resetRate),
                number(changes, "cut_stream_rate", cutStreamRate),
                number(changes, "malformed_rate", malformedRate),
                (long) number(changes, "ready_after_ms", readyAfterMs),
                (int) number(changes, "cut_after_pieces", cutAfterPieces));
    }

    private static double number(Map<String, ?> m, String key, double fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException(key + " must be a number, got " + v);
    }

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error_rate", errorRate);
        m.put("error_status", errorStatus);
        m.put("hang_rate", hangRate);
        m.put("reset_rate", resetRate);
        m.put("cut_stream_rate", cutStreamRate);
        m.put("malformed_rate", malformedRate);
        m.put("ready_after_ms", readyAfterMs);
        m.put("cut_after_pieces", cutAfterPieces);
        return m;
    }
}
