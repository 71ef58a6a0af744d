package dev.tiergate.core.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * The features the trained router reads: the heuristic signals (each fired or not, plus the heuristic score, the class
 * bounds explicit intent sets, and the prompt's shape), the signals of its instruction alone and how much material it
 * pastes ({@link PromptParts}), the instruction's words, followed, for the full model, by the instruction's embedding.
 * Training and serving both compute them here, so the model sees at serving time exactly what it was trained on.
 */
public final class RoutingFeatures {

    /** The heuristic signals that become features; others (none today) are ignored. */
    static final List<String> SIGNALS = List.of("code:syntax", "code:stack_trace", "code:request", "math:expression",
            "math:word_problem", "reasoning:puzzle", "multi_step:instructions", "intent:deep", "intent:explain_or_write",
            "shape:asks_for_reasoning", "math:numbers", "math:terms", "intent:role_play", "shape:definition",
            "shape:short_question", "shape:very_short", "length:long", "length:very_long", "shape:list", "no_signal");

    /** Hashed buckets of the words and word pairs the prompt contains: its vocabulary, learned from the training set. */
    static final int WORD_BUCKETS = 512;

    /** The heuristic feature names, in order: everything computed without the embedding model. */
    public static final List<String> HEURISTIC;

    static {
        List<String> names = new ArrayList<>();
        for (String s : SIGNALS) names.add("signal:" + s);
        names.addAll(List.of("heuristic_score", "bound:at_least_medium", "bound:at_most_simple", "bound:at_most_medium",
                "shape:log_words", "shape:question_mark", "shape:log_digits", "shape:log_lines", "shape:non_ascii",
                "request:tools", "conversation:follow_up", "material:present", "material:log_chars"));
        for (String s : SIGNALS) names.add("instruction:" + s);
        for (int i = 0; i < WORD_BUCKETS; i++) names.add("words:" + i);
        HEURISTIC = List.copyOf(names);
    }

    private RoutingFeatures() {}

    /** The full model's feature names: the heuristic ones, then {@code embedding:0 ..}. */
    public static List<String> withEmbedding(int dimensions) {
        List<String> names = new ArrayList<>(HEURISTIC);
        for (int i = 0; i < dimensions; i++) names.add("embedding:" + i);
        return names;
    }

    /**
     * A (sliced) text read for routing: the heuristics' assessment of all of it, its parts, and the heuristic features.
     *
     * @param assessment what the heuristics make of the whole text (its reasons and forced triggers)
     * @param parts      its instruction and how much of it was pasted material
     * @param features   the heuristic features, in {@link #HEURISTIC} order
     */
    public record Scored(HeuristicScorer.Assessment assessment, PromptParts parts, double[] features) {}

    /**
     * Reads a (sliced) text of a conversation: the heuristics score the whole text and, when material is pasted, the
     * instruction alone, whose signals are features of their own.
     */
    public static Scored score(String text, HeuristicScorer heuristics, RoutingText conversation) {
        HeuristicScorer.Assessment whole = heuristics.score(text);
        PromptParts parts = PromptParts.of(text);
        HeuristicScorer.Assessment instruction = parts.hasMaterial() ? heuristics.score(parts.instruction()) : whole;
        return new Scored(whole, parts, heuristic(text, whole, parts, instruction, conversation));
    }

    private static double[] heuristic(String text, HeuristicScorer.Assessment a, PromptParts parts,
                                      HeuristicScorer.Assessment instruction, RoutingText conversation) {
        double[] x = new double[HEURISTIC.size()];
        signals(a, x, 0);
        int k = SIGNALS.size();
        x[k] = a.score();
        x[k + 1] = a.atLeast().filter(c -> c == ComplexityClass.MEDIUM).isPresent() ? 1 : 0;
        x[k + 2] = a.atMost().filter(c -> c == ComplexityClass.SIMPLE).isPresent() ? 1 : 0;
        x[k + 3] = a.atMost().filter(c -> c == ComplexityClass.MEDIUM).isPresent() ? 1 : 0;
        int words = 0;
        int digits = 0;
        int lines = 1;
        int nonAscii = 0;
        boolean inWord = false;
        boolean question = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean letter = Character.isLetterOrDigit(c);
            if (letter && !inWord) words++;
            inWord = letter;
            if (Character.isDigit(c)) digits++;
            if (c == '\n') lines++;
            if (c == '?' || c == '？' || c == '¿') question = true;
            if (c > 127 && Character.isLetter(c)) nonAscii++;
        }
        x[k + 4] = Math.log1p(words);
        x[k + 5] = question ? 1 : 0;
        x[k + 6] = Math.log1p(digits);
        x[k + 7] = Math.log1p(lines);
        x[k + 8] = text.isEmpty() ? 0 : Math.min(1.0, nonAscii * 4.0 / text.length());
        x[k + 9] = conversation.tools() ? 1 : 0;
        x[k + 10] = conversation.followUp() ? 1 : 0;
        x[k + 11] = parts.hasMaterial() ? 1 : 0;
        x[k + 12] = Math.log1p(parts.materialChars());
        signals(instruction, x, k + 13);
        // The instruction's words: a pasted page's vocabulary says what the page is about, not what is asked of it.
        words(parts.instruction(), x, k + 13 + SIGNALS.size());
        return x;
    }

    private static void signals(HeuristicScorer.Assessment a, double[] x, int offset) {
        for (String r : a.reasons()) {
            String key = r.startsWith("shape:list_of_") ? "shape:list" : r;
            int i = SIGNALS.indexOf(key);
            if (i >= 0) x[offset + i] = 1;
        }
    }

    /**
     * Marks the bucket of each lower-cased word and each pair of adjacent words (String.hashCode is specified, so
     * the buckets are the same on every JVM that trains or serves).
     */
    private static void words(String text, double[] x, int offset) {
        String t = text.toLowerCase(java.util.Locale.ROOT);
        String previous = null;
        int start = -1;
        for (int i = 0; i <= t.length(); i++) {
            boolean part = i < t.length() && Character.isLetterOrDigit(t.charAt(i));
            if (part) {
                if (start < 0) start = i;
                continue;
            }
            if (start < 0) continue;
            String w = t.substring(start, i);
            start = -1;
            x[offset + Math.floorMod(w.hashCode(), WORD_BUCKETS)] = 1;
            if (previous != null) x[offset + Math.floorMod((previous + ' ' + w).hashCode(), WORD_BUCKETS)] = 1;
            previous = w;
        }
    }

    /**
     * The text the embedding model reads: the instruction when material is pasted (what is asked decides the class;
     * the embedding reads only a few hundred characters, which a pasted page would fill), else the text itself.
     */
    public static String embedded(String text, PromptParts parts) {
        return parts.hasMaterial() ? parts.instruction() : text;
    }

    /** The heuristic features followed by the embedding. */
    public static double[] concat(double[] heuristic, float[] embedding) {
        double[] x = new double[heuristic.length + embedding.length];
        System.arraycopy(heuristic, 0, x, 0, heuristic.length);
        for (int i = 0; i < embedding.length; i++) x[heuristic.length + i] = embedding[i];
        return x;
    }
}
