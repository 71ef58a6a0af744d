package dev.tiergate.core.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Cheap signals, microseconds in all, that say how hard a prompt is: what it asks for (intent words), its shape
 * (a short factual question, a long brief), and the <em>forced</em> triggers that always need the top tier: code
 * (fenced blocks, syntax, stack traces, requests to write or fix code), math (expressions, word problems with
 * numbers and a quantity to find), logic puzzles and multi-step instructions.
 *
 * <p>One pass splits the lower-cased text into words and finds every cue with a hash look-up ({@link CueLexicon});
 * the few patterns that need a regex (code syntax, stack traces) run only when a cheap {@code indexOf} says they might
 * match. The score runs from 0 (a look-up) to 1 (deep work); it and every signal are features of the trained router.
 */
public final class HeuristicScorer {

    /**
     * What the heuristics concluded, and which signals fired. {@code atLeast} and {@code atMost} bound the class when
     * the prompt says plainly what it is (asking to write or explain is at least medium; a definition is simple), so
     * a learned scorer cannot overrule an explicit request.
     */
    public record Assessment(double score, boolean forcedComplex, List<String> reasons,
                             Optional<ComplexityClass> atLeast, Optional<ComplexityClass> atMost) {
        public Assessment {
            reasons = List.copyOf(reasons);
        }
    }

    /** A regex worth running only when the text contains its literal hint. */
    private record HintedPattern(String hint, Pattern pattern) {
        boolean find(String text) {
            return text.contains(hint) && pattern.matcher(text).find();
        }
    }

    private static final List<HintedPattern> CODE_SYNTAX = List.of(
            new HintedPattern("```", Pattern.compile("```")),
            new HintedPattern("def ", Pattern.compile("\\bdef \\w+\\s*\\(")),
            new HintedPattern("function", Pattern.compile("\\bfunction\\s*\\w*\\s*\\(")),
            new HintedPattern("class ", Pattern.compile("\\bclass \\w+\\s*[:({]")),
            new HintedPattern("#include", Pattern.compile("#include\\s*<")),
            new HintedPattern("public ", Pattern.compile("\\bpublic (static )?\\w+ \\w+")),
            new HintedPattern("import ", Pattern.compile("\\bimport [\\w.]+;")),
            new HintedPattern("console.log(", Pattern.compile("console\\.log\\(")),
            new HintedPattern("=>", Pattern.compile("=>\\s*\\{")),
            new HintedPattern("SELECT ", Pattern.compile("\\bSELECT\\b.+\\bFROM\\b")),
            new HintedPattern("fn ", Pattern.compile("\\bfn \\w+\\(")),
            new HintedPattern(") {", Pattern.compile("\\w+\\([^)]*\\) \\{")),
            new HintedPattern("){", Pattern.compile("\\w+\\([^)]*\\)\\{")),
            new HintedPattern("return ", Pattern.compile("\\breturn [^.\\n]*;")));
    private static final List<HintedPattern> STACK_TRACE = List.of(
            new HintedPattern("Traceback (most recent call last)", Pattern.compile("Traceback")),
            new HintedPattern("Exception in thread", Pattern.compile("Exception")),
            new HintedPattern(".java:", Pattern.compile("\\bat [\\w.$]+\\(\\w+\\.java:\\d+\\)")),
            new HintedPattern("Error: ", Pattern.compile("\\b\\w+Error: ")),
            new HintedPattern("Exception: ", Pattern.compile("\\b\\w+Exception: ")),
            new HintedPattern("egmentation fault", Pattern.compile("[Ss]egmentation fault")),
            new HintedPattern("panic: ", Pattern.compile("\\bpanic: ")));
    private static final Set<String> QUANTITY_NOUNS = Set.of("total", "area", "sum", "average", "mean", "remainder",
            "probability", "value", "number", "cost", "price", "speed", "distance", "length", "perimeter", "volume", "ratio",
            "difference", "product", "result", "percentage", "profit", "age", "amount", "rate", "score");
    private static final Set<String> LOOKUP_OPENERS = Set.of("who", "what", "when", "where", "which", "whose", "whom", "is",
            "are", "was", "were", "did", "does", "do", "can", "name");

    private final CueLexicon lexicon = new CueLexicon();

    /** Scores the text (already sliced by the caller). */
    public Assessment score(String text) {
        String original = text.strip();
        String t = original.toLowerCase(Locale.ROOT);
        String[] words = new String[t.length() / 2 + 2];
        int[] digitWords = new int[1];
        int n = words(t, words, digitWords);
        CueLexicon.Found f = lexicon.find(words, n);
        List<String> reasons = new ArrayList<>();

        // Forced triggers: these prompts need the top tier whatever else is said.
        if (anyFinds(CODE_SYNTAX, original)) reasons.add("code:syntax");
        if (anyFinds(STACK_TRACE, original)) reasons.add("code:stack_trace");
        if (f.has(Cue.CODE) || f.followedWithin(Cue.CODE_VERB, Cue.CODE_NOUN, 10) || f.followedWithin(Cue.LANGUAGE, Cue.CODE_NOUN, 6)) {
            reasons.add("code:request");
        }
        int numbers = digitWords[0] + f.count(Cue.NUMBER_WORD);
        boolean quantity = f.has(Cue.QUANTITY) || asksForQuantity(words, n);
        if (hasExpression(t)) reasons.add("math:expression");
        if (numbers >= 2 && quantity) reasons.add("math:word_problem");
        if (f.has(Cue.PUZZLE)) reasons.add("reasoning:puzzle");
        int items = listItems(original);
        if (items >= 3 && f.has(Cue.DEEP)) reasons.add("multi_step:instructions");
        boolean forced = !reasons.isEmpty();

        // The other signals are read even when a trigger fired: the trained router weighs them all.
        double score;
        Optional<ComplexityClass> atLeast = Optional.empty();
        Optional<ComplexityClass> atMost = Optional.empty();
        {
            score = 0.45;
            boolean deep = f.has(Cue.DEEP);
            boolean steps = f.has(Cue.STEPS);
            boolean medium = f.has(Cue.MEDIUM);
            boolean definition = isDefinition(words, n, t);
            boolean lookup = n > 0 && (LOOKUP_OPENERS.contains(words[0]) || f.first(Cue.QUANTITY) == 0);
            if (deep) {
                score = 0.72;
                reasons.add("intent:deep");
            } else if (medium) {
                score = 0.48;
                reasons.add("intent:explain_or_write");
            }
            if (steps) {
                // Asking for the reasoning behind the answer to a question is a strong sign of a reasoning task.
                score += t.indexOf('?') >= 0 ? 0.2 : 0.12;
                reasons.add("shape:asks_for_reasoning");
            }
            if (numbers >= 3 && quantity) {
                score += 0.1;
                reasons.add("math:numbers");
            }
            if (f.has(Cue.MATH_TERM)) {
                score += 0.15;
                reasons.add("math:terms");
            }
            boolean rolePlay = f.first(Cue.ROLE_PLAY) == 0;
            if (rolePlay) reasons.add("intent:role_play");
            if (rolePlay || (medium && !deep && !steps)) {
                // Asking to write, explain, compare or extract is at least medium, and not deep work by itself.
                atLeast = Optional.of(ComplexityClass.MEDIUM);
                atMost = Optional.of(ComplexityClass.MEDIUM);
            }
            if (!deep && !medium && (definition || (lookup && n <= 16))) {
                score = definition ? 0.08 : 0.15;
                reasons.add(definition ? "shape:definition" : "shape:short_question");
                if (definition) atMost = Optional.of(ComplexityClass.SIMPLE);
            } else if (!deep && !medium && n <= 8) {
                score = 0.2;
                reasons.add("shape:very_short");
            }
            if (n > 120) {
                score += 0.08;
                reasons.add("length:long");
            }
            if (n > 400) {
                score += 0.08;
                reasons.add("length:very_long");
            }
            if (items >= 3) {
                score += 0.06;
                reasons.add("shape:list_of_" + items);
            }
            if (reasons.isEmpty()) reasons.add("no_signal");
        }
        if (forced) score = 0.95;
        return new Assessment(Math.max(0, Math.min(1, score)), forced, reasons, atLeast, atMost);
    }

    /**
     * Splits lower-cased text into words (letters, digits and the joiners of {@code c++}, {@code c#},
     * {@code step-by-step}, {@code what's}) and counts the words that are numbers.
     */
    static int words(String t, String[] out, int[] digitWords) {
        int n = 0;
        int start = -1;
        for (int i = 0; i <= t.length(); i++) {
            char c = i < t.length() ? t.charAt(i) : ' ';
            boolean part = Character.isLetterOrDigit(c) || ((c == '\'' || c == '-' || c == '+' || c == '#' || c == '’') && start >= 0);
            if (part) {
                if (start < 0) start = i;
            } else if (start >= 0) {
                int end = i;
                while (end > start && !Character.isLetterOrDigit(t.charAt(end - 1)) && t.charAt(end - 1) != '+' && t.charAt(end - 1) != '#') end--;
                String w = t.substring(start, end).replace('’', '\'');
                out[n++] = w;
                if (Character.isDigit(w.charAt(0))) digitWords[0]++;
                start = -1;
            }
        }
        return n;
    }

    /** "what is the total ...", "what was her average ...": a question after a quantity. */
    private static boolean asksForQuantity(String[] w, int n) {
        for (int i = 0; i + 2 < n; i++) {
            if (!w[i].equals("what")) continue;
            String verb = w[i + 1];
            if (!(verb.equals("is") || verb.equals("was") || verb.equals("are") || verb.equals("were") || verb.equals("will"))) continue;
            int j = i + 2;
            if (verb.equals("will") && j < n && w[j].equals("be")) j++;
            if (j < n && (w[j].equals("the") || w[j].equals("her") || w[j].equals("his") || w[j].equals("their") || w[j].equals("its"))) {
                for (int k = j + 1; k < Math.min(n, j + 5); k++) if (QUANTITY_NOUNS.contains(w[k])) return true;
            }
        }
        return false;
    }

    /**
     * A written-out calculation: an operator between numbers (or a number and a variable), a power ({@code x^2}),
     * a coordinate pair, or {@code f(x) =}.
     */
    static boolean hasExpression(String t) {
        int len = t.length();
        for (int i = 0; i < len; i++) {
            char c = t.charAt(i);
            if ("+-*/^×÷=<>".indexOf(c) >= 0) {
                int l = i - 1;
                while (l >= 0 && t.charAt(l) == ' ') l--;
                int r = i + 1;
                while (r < len && t.charAt(r) == ' ') r++;
                if (l < 0 || r >= len) continue;
                char a = t.charAt(l);
                char b = t.charAt(r);
                boolean leftNum = Character.isDigit(a) || (c == '^' && Character.isLetter(a));
                boolean rightOk = Character.isDigit(b) || b == '(' || (Character.isLetter(b) && (r + 1 >= len || !Character.isLetter(t.charAt(r + 1))));
                // "100-year-old" and "2-3 days" are words and ranges, not calculations.
                if (c == '-' && (r == i + 1 && l == i - 1)) rightOk = Character.isDigit(b) && !Character.isDigit(a) ? false : rightOk && !Character.isLetter(b);
                if (leftNum && rightOk && (c != '-' || Character.isDigit(b) || b == '(')) return true;
            } else if (c == '(' && i + 1 < len && (Character.isDigit(t.charAt(i + 1)) || t.charAt(i + 1) == '-')) {
                int comma = t.indexOf(',', i);
                int close = t.indexOf(')', i);
                if (comma > i && close > comma && close - i < 20 && t.substring(i + 1, close).matches("\\s*-?[\\d.]+\\s*,\\s*-?[\\d.]+\\s*")) return true;
            } else if (c == 'f' && t.startsWith("f(x)", i)) {
                int eq = t.indexOf('=', i);
                if (eq > 0 && eq - i < 8) return true;
            }
        }
        return false;
    }

    private static boolean isDefinition(String[] w, int n, String t) {
        if (n == 0) return false;
        if (w[0].equals("define") || (n > 1 && (w[0].equals("definition") || w[0].equals("meaning")) && w[1].equals("of"))) return true;
        if (w[0].equals("what") && n >= 3 && n <= 6 && (w[1].equals("is") || w[1].equals("are") || w[1].equals("was"))) return true;
        if (n >= 2 && w[n - 2].equals("stand") && w[n - 1].equals("for")) return true;
        return w[0].equals("what") && n >= 4 && n <= 5 && w[1].equals("does") && w[n - 1].equals("mean");
    }

    /** Lines that start like a list item: "1.", "2)", "-", "*", "•". */
    static int listItems(String text) {
        int count = 0;
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++;
            int j = i;
            while (j < len && Character.isDigit(text.charAt(j))) j++;
            boolean item = (j > i && j < len && (text.charAt(j) == '.' || text.charAt(j) == ')'))
                    || (i < len && "-*•".indexOf(text.charAt(i)) >= 0 && i + 1 < len && text.charAt(i + 1) == ' ');
            if (item) count++;
            int nl = text.indexOf('\n', i);
            if (nl < 0) break;
            i = nl + 1;
        }
        return count;
    }

    private static boolean anyFinds(List<HintedPattern> patterns, String text) {
        for (HintedPattern p : patterns) if (p.find(text)) return true;
        return false;
    }
}
