package dev.tiergate.core.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The trained router as a JSON file: what {@code bin/tiergate train-router} writes and every gateway loads from its
 * classpath ({@value #RESOURCE}). A file this build cannot read (another format, other features) stops the start
 * with a message saying to retrain, rather than routing on weights meant for other features.
 */
public final class RouterModelFile {

    /** Where the shipped model lives on the classpath. */
    public static final String RESOURCE = "/routing/router-model.json";
    static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RouterModelFile() {}

    /** The model shipped in this artifact. */
    public static TrainedRouter shipped() {
        try (InputStream in = RouterModelFile.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE + ": run bin/tiergate train-router");
            return read(JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TrainedRouter read(JsonNode n) {
        if (n.path("format").asInt() != FORMAT) {
            throw new IllegalStateException("router model format " + n.path("format").asText("?") + " is not " + FORMAT + ": retrain it");
        }
        Set<String> forced = new LinkedHashSet<>();
        n.path("forced_complex").forEach(f -> forced.add(f.asText()));
        JsonNode slice = n.path("embedding_slice");
        if (!slice.path("head_chars").isInt() || !slice.path("tail_chars").isInt()) {
            throw new IllegalStateException("the router model file lacks its embedding slice: retrain it");
        }
        return new TrainedRouter(model(n.path("models").path("with_embedding")), model(n.path("models").path("heuristics_only")),
                forced, slice.path("head_chars").asInt(), slice.path("tail_chars").asInt());
    }

    /**
     * The file's JSON: the models and, under {@code training}, what produced them (the data's digest, the
     * cross-validated figures) for whoever reads the file later.
     */
    public static ObjectNode write(TrainedRouter r, ObjectNode training) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ArrayNode forced = root.putArray("forced_complex");
        r.forcedComplex().stream().sorted().forEach(forced::add);
        ObjectNode slice = root.putObject("embedding_slice");
        slice.put("head_chars", r.embedHeadChars());
        slice.put("tail_chars", r.embedTailChars());
        ObjectNode models = root.putObject("models");
        models.set("with_embedding", json(r.withEmbedding()));
        models.set("heuristics_only", json(r.heuristicsOnly()));
        root.set("training", training);
        return root;
    }

    public static String pretty(ObjectNode root) {
        try {
            return JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RouterModel model(JsonNode m) {
        if (m.isMissingNode()) throw new IllegalStateException("the router model file lacks a model: retrain it");
        List<String> features = new ArrayList<>();
        m.path("features").forEach(f -> features.add(f.asText()));
        double[][] w = new double[3][];
        for (int c = 0; c < 3; c++) w[c] = doubles(m.path("weights").path(c));
        return new RouterModel(features, doubles(m.path("mean")), doubles(m.path("scale")), w, doubles(m.path("bias")),
                m.path("temperature").asDouble());
    }

    private static ObjectNode json(RouterModel m) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode f = o.putArray("features");
        m.features().forEach(f::add);
        o.put("temperature", round(m.temperature()));
        put(o.putArray("bias"), m.bias());
        put(o.putArray("mean"), m.mean());
        put(o.putArray("scale"), m.scale());
        ArrayNode w = o.putArray("weights");
        for (double[] row : m.weights()) put(w.addArray(), row);
        return o;
    }

    private static void put(ArrayNode a, double[] v) {
        for (double d : v) a.add(round(d));
    }

    /** Six significant digits are far more than the model's precision and keep the file reviewable in size. */
    private static double round(double d) {
        if (d == 0 || !Double.isFinite(d)) return d;
        return new java.math.BigDecimal(d).round(new java.math.MathContext(6)).doubleValue();
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
        return v;
    }
}
