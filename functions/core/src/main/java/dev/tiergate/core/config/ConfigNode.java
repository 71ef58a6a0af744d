package dev.tiergate.core.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A position in the parsed YAML tree with its key path, so that every error names the file, the line, the key and
 * the value. Reading a mapping through {@link #fields(String...)} rejects keys that are not known: a typo in a
 * config is an error, not a silently ignored setting.
 */
final class ConfigNode {

    private final String source;
    private final String path;
    private final Node node;

    ConfigNode(String source, String path, Node node) {
        this.source = source;
        this.path = path;
        this.node = node;
    }

    String path() { return path; }

    int line() { return node.getStartMark().getLine() + 1; }

    ConfigException error(String problem) {
        return new ConfigException(source + ":" + line() + ": " + (path.isEmpty() ? "(top level)" : path) + ": " + problem);
    }

    private String shown() {
        return node instanceof ScalarNode s ? "'" + s.getValue() + "'" : "a " + kind(node);
    }

    private static String kind(Node n) {
        return n instanceof MappingNode ? "mapping" : n instanceof SequenceNode ? "list" : "value";
    }

    /** The mapping's children by key; any key outside {@code allowed} is an error naming the known keys. */
    Fields fields(String... allowed) {
        if (!(node instanceof MappingNode m)) throw error("expected a mapping, got " + shown());
        Set<String> known = Set.of(allowed);
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) throw error("keys must be plain names");
            String key = k.getValue();
            ConfigNode child = new ConfigNode(source, path.isEmpty() ? key : path + "." + key, t.getValueNode());
            if (!known.contains(key)) {
                throw new ConfigException(source + ":" + (k.getStartMark().getLine() + 1) + ": " + child.path
                        + ": unknown key; known keys here: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
            if (out.put(key, child) != null) throw child.error("duplicate key");
        }
        return new Fields(this, out);
    }

    List<ConfigNode> list() {
        if (!(node instanceof SequenceNode s)) throw error("expected a list, got " + shown());
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < s.getValue().size(); i++) out.add(new ConfigNode(source, path + "[" + i + "]", s.getValue().get(i)));
        return out;
    }

    /** Every entry of a free-form mapping (keys chosen by the user, e.g. class → tier). */
    Map<String, ConfigNode> entries() {
        if (!(node instanceof MappingNode m)) throw error("expected a mapping, got " + shown());
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = ((ScalarNode) t.getKeyNode()).getValue();
            ConfigNode child = new ConfigNode(source, path + "." + key, t.getValueNode());
            if (out.put(key, child) != null) throw child.error("duplicate key");
        }
        return out;
    }

    String string() {
        if (!(node instanceof ScalarNode s) || s.getValue().isEmpty()) throw error("expected a non-empty string, got " + shown());
        return s.getValue();
    }

    String name() {
        String v = string();
        if (!v.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw error("'" + v + "' is not a valid name (lower-case letters, digits, '.', '_' and '-', at most 63)");
        }
        return v;
    }

    BigDecimal decimal() {
        String v = string();
        try {
            return new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw error("expected a number, got '" + v + "'");
        }
    }

    /** A price in USD per million tokens: non-negative, at most 6 decimal places so that costs stay exact. */
    BigDecimal price() {
        BigDecimal v = decimal();
        if (v.signum() < 0) throw error("a price cannot be negative, got '" + v.toPlainString() + "'");
        if (v.stripTrailingZeros().scale() > 6) throw error("a price has at most 6 decimal places, got '" + v.toPlainString() + "'");
        return v;
    }

    long integer(long min, long max) {
        String v = string();
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw error("expected a whole number, got '" + v + "'");
        }
        if (n < min || n > max) throw error("must be between " + min + " and " + max + ", got " + n);
        return n;
    }

    double fraction(double min, double max) {
        double d = decimal().doubleValue();
        if (d < min || d > max) throw error("must be between " + min + " and " + max + ", got " + string());
        return d;
    }

    boolean bool() {
        String v = string();
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error("expected true or false, got '" + v + "'");
        };
    }

    URI url() {
        String v = string();
        try {
            URI u = URI.create(v);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw error("expected an http(s) URL, got '" + v + "'");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw error("expected an http(s) URL, got '" + v + "'");
        }
    }

    <E extends Enum<E>> E oneOf(Class<E> type) {
        String v = string();
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase());
        throw error("expected one of " + names + ", got '" + v + "'");
    }

    List<String> strings() {
        List<String> out = new ArrayList<>();
        for (ConfigNode n : list()) out.add(n.string());
        return out;
    }

    /** The children of a mapping read through {@link #fields}; absent optional keys fall back to defaults. */
    record Fields(ConfigNode owner, Map<String, ConfigNode> byKey) {
        ConfigNode required(String key) {
            ConfigNode n = byKey.get(key);
            if (n == null) throw owner.error("missing required key '" + key + "'");
            return n;
        }

        Optional<ConfigNode> optional(String key) {
            return Optional.ofNullable(byKey.get(key));
        }

        <T> T get(String key, Function<ConfigNode, T> read, T fallback) {
            ConfigNode n = byKey.get(key);
            return n == null ? fallback : read.apply(n);
        }
    }
}
