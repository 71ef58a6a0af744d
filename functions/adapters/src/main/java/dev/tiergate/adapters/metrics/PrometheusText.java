package dev.tiergate.adapters.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A parser for the Prometheus text exposition format 0.0.4, as vLLM's {@code /metrics} serves it through
 * prometheus_client (contracts B): {@code # HELP} and {@code # TYPE} lines, names with colons, quoted label values
 * with {@code \\}, {@code \"} and {@code \n} escapes, {@code NaN} and {@code ±Inf}, an optional timestamp. client_java
 * has writers only, so this small one exists; a malformed line is an error naming the line, never a silent skip.
 */
public final class PrometheusText {

    public record Sample(String name, Map<String, String> labels, double value, OptionalLong timestampMs) {
        public Sample {
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }
    }

    public record Family(String name, String type, String help) {
    }

    public record Scrape(List<Sample> samples, Map<String, Family> families) {
        public Scrape {
            samples = List.copyOf(samples);
            families = Map.copyOf(families);
        }

        public List<Sample> named(String name) {
            return samples.stream().filter(s -> s.name().equals(name)).toList();
        }

        /** The sum over all series of a name (for example across engines); empty when the name is absent. */
        public Optional<Double> sum(String name) {
            List<Sample> s = named(name);
            return s.isEmpty() ? Optional.empty() : Optional.of(s.stream().mapToDouble(Sample::value).sum());
        }

        public Optional<Double> max(String name) {
            return named(name).stream().map(Sample::value).max(Double::compare);
        }
    }

    public static final class ParseException extends RuntimeException {
        ParseException(int line, String message) {
            super("line " + line + ": " + message);
        }
    }

    public static Scrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) continue;
            if (line.startsWith("#")) {
                String[] p = line.split("[ \t]+", 4);
                if (p.length >= 3 && p[1].equals("TYPE")) types.put(p[2], p.length > 3 ? p[3].trim() : "untyped");
                else if (p.length >= 3 && p[1].equals("HELP")) helps.put(p[2], p.length > 3 ? unescapeHelp(p[3]) : "");
                continue;
            }
            samples.add(sample(line, i + 1));
        }
        Map<String, Family> families = new LinkedHashMap<>();
        types.forEach((n, t) -> families.put(n, new Family(n, t, helps.getOrDefault(n, ""))));
        return new Scrape(samples, families);
    }

    private static Sample sample(String line, int no) {
        int i = 0;
        int n = line.length();
        while (i < n && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) i++;
        if (i == 0 || Character.isDigit(line.charAt(0))) throw new ParseException(no, "expected a metric name: " + line);
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < n && line.charAt(i) == '{') {
            i++;
            while (true) {
                while (i < n && line.charAt(i) == ' ') i++;
                if (i < n && line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int start = i;
                while (i < n && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_')) i++;
                if (start == i) throw new ParseException(no, "expected a label name at column " + (i + 1));
                String label = line.substring(start, i);
                if (i + 1 >= n || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
                    throw new ParseException(no, "expected =\" after label " + label);
                }
                i += 2;
                StringBuilder v = new StringBuilder();
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i++);
                    if (c == '\\' && i < n) {
                        char e = line.charAt(i++);
                        v.append(switch (e) {
                            case 'n' -> '\n';
                            case '\\' -> '\\';
                            case '"' -> '"';
                            default -> throw new ParseException(no, "unknown escape \\" + e + " in label " + label);
                        });
                    } else if (c == '"') {
                        closed = true;
                        break;
                    } else {
                        v.append(c);
                    }
                }
                if (!closed) throw new ParseException(no, "unterminated value of label " + label);
                if (labels.put(label, v.toString()) != null) throw new ParseException(no, "label " + label + " appears twice");
                while (i < n && line.charAt(i) == ' ') i++;
                if (i < n && line.charAt(i) == ',') i++;
                else if (i < n && line.charAt(i) == '}') {
                    i++;
                    break;
                } else throw new ParseException(no, "expected , or } after label " + label);
            }
        }
        String[] rest = line.substring(i).trim().split("[ \t]+");
        if (rest.length == 0 || rest[0].isEmpty() || rest.length > 2) throw new ParseException(no, "expected a value (and a timestamp): " + line);
        double value = number(rest[0], no);
        OptionalLong ts = OptionalLong.empty();
        if (rest.length == 2) {
            try {
                ts = OptionalLong.of(Long.parseLong(rest[1]));
            } catch (NumberFormatException e) {
                throw new ParseException(no, "bad timestamp '" + rest[1] + "'");
            }
        }
        return new Sample(name, labels, value, ts);
    }

    private static double number(String s, int no) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new ParseException(no, "bad value '" + s + "'");
                }
            }
        };
    }

    private static String unescapeHelp(String s) {
        return s.replace("\\n", "\n").replace("\\\\", "\\");
    }
}
