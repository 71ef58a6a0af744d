package dev.tiergate.core.semantic;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether two prompts whose embeddings are close may share an answer. A cosine threshold alone cannot: "the
 * capital of France" and "the capital of Spain" embed closer than many true paraphrases. So two prompts must also
 * agree on what makes an answer right or wrong: their numbers (in order), the names and code identifiers they give,
 * their negations, the poles of any scale they name (largest/smallest), the direction of any relation (A to B), and
 * no term may be swapped for another while the rest stays the same. A prompt that pastes material to work on is not
 * compared at all.
 */
public final class FalseHitGuard {

    /** Topic terms on each side of a connector that relate across it. */
    private static final int RELATION_WINDOW = 2;
    private static final Pattern TOKEN = Pattern.compile("--?[\\p{L}][\\p{L}\\p{N}_-]*|[\\p{L}\\p{N}$][\\p{L}\\p{N}_'.+#-]*");
    private static final Pattern NUMBER = Pattern.compile("\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern CAMEL = Pattern.compile(".*\\p{Ll}\\p{Lu}.*");
    private static final Pattern ACRONYM = Pattern.compile("\\p{Lu}[\\p{Lu}\\p{N}]+");
    private static final Pattern LABEL = Pattern.compile("(?im)^\\s*(context|text|document|article|passage|input|data|code|email|transcript)\\s*:");
    private static final Pattern QUOTED = Pattern.compile("\"[^\"]{60,}\"|“[^”]{60,}”|'[^']{60,}'");
    private static final Pattern MARKUP = Pattern.compile("<[a-zA-Z/][^>]*>|\\{[^}]*:[^}]*}");

    /** Whether a prompt may be answered from the semantic cache at all; empty when it may. */
    public Optional<Ineligible> ineligible(String prompt, int maxChars) {
        String p = prompt.strip();
        if (p.isEmpty()) return Optional.of(Ineligible.EMPTY);
        if (p.length() > maxChars) return Optional.of(Ineligible.TOO_LONG);
        long lines = p.lines().filter(l -> !l.isBlank()).count();
        if (p.contains("```") || lines >= 3 || LABEL.matcher(p).find() || QUOTED.matcher(p).find()
                || MARKUP.matcher(p).find()) {
            return Optional.of(Ineligible.PASTED_CONTEXT);
        }
        return Optional.empty();
    }

    /** What the two prompts disagree on, the first check that fails; empty when one answer serves both. */
    public Optional<Mismatch> mismatch(String a, String b) {
        return mismatch(facts(a), facts(b));
    }

    /** What a prompt says that an answer depends on, read once to compare with many. */
    public Facts facts(String prompt) {
        return Facts.of(prompt);
    }

    public Optional<Mismatch> mismatch(Facts x, Facts y) {
        if (!x.numbers.equals(y.numbers)) return Optional.of(Mismatch.NUMBERS);
        if (!y.words.containsAll(x.identifiers) || !x.words.containsAll(y.identifiers)) return Optional.of(Mismatch.IDENTIFIERS);
        if (!y.words.containsAll(x.entities) || !x.words.containsAll(y.entities)) return Optional.of(Mismatch.ENTITIES);
        if (x.negations != y.negations) return Optional.of(Mismatch.NEGATION);
        for (int s = 0; s < GuardLexicon.SCALES.size(); s++) {
            // A pole named on one side only narrows that question ("delete a remote branch" / "delete a branch").
            if (!x.poles.get(s).equals(y.poles.get(s))) return Optional.of(Mismatch.POLARITY);
        }
        for (Relation r : x.relations) {
            if (y.relations.contains(r.reversed()) && !y.relations.contains(r)) return Optional.of(Mismatch.DIRECTION);
        }
        // Counted, not just present: "a kilogram of steel or a kilogram of feathers" swaps one kilogram for a pound.
        if (exceeds(x.terms, y.terms) && exceeds(y.terms, x.terms)) return Optional.of(Mismatch.SUBSTITUTION);
        return Optional.empty();
    }

    /** Whether {@code a} has a term more often than {@code b}. */
    private static boolean exceeds(Map<String, Integer> a, Map<String, Integer> b) {
        for (Map.Entry<String, Integer> e : a.entrySet()) if (e.getValue() > b.getOrDefault(e.getKey(), 0)) return true;
        return false;
    }

    /** A term related to another by a connector ("celsius" to "fahrenheit"). */
    private record Relation(String left, String connector, String right) {
        Relation reversed() {
            return new Relation(right, connector, left);
        }
    }

    /**
     * What a prompt says that an answer depends on.
     *
     * @param words every word, lower case, possessives stripped: where another prompt's names are looked for
     * @param terms the topic words, stemmed, synonyms merged, with how often each occurs: where a substitution is looked for
     */
    public record Facts(List<String> numbers, Set<String> identifiers, Set<String> entities, int negations,
                         List<Set<Integer>> poles, Set<Relation> relations, Set<String> words, Map<String, Integer> terms) {

        private static Facts of(String prompt) {
            String text = prompt.replace('’', '\'').replace('‘', '\'');
            List<String> numbers = new ArrayList<>();
            Matcher n = NUMBER.matcher(text);
            while (n.find()) numbers.add(number(n.group()));
            Set<String> identifiers = new LinkedHashSet<>();
            Matcher bt = BACKTICKED.matcher(text);
            while (bt.find()) identifiers.add(bt.group(1).toLowerCase(Locale.ROOT));
            Set<String> entities = new LinkedHashSet<>();
            Set<String> words = new HashSet<>();
            Map<String, Integer> terms = new HashMap<>();
            List<String> lower = new ArrayList<>();
            List<Boolean> topical = new ArrayList<>();
            int negations = 0;
            boolean sentenceStart = true;
            Matcher t = TOKEN.matcher(text);
            int last = 0;
            while (t.find()) {
                String between = text.substring(last, t.start());
                last = t.end();
                if (between.matches(".*[.?!:;¿¡\\n].*")) sentenceStart = true;
                String raw = trimmed(t.group());
                if (raw.isEmpty()) continue;
                String word = bare(raw.toLowerCase(Locale.ROOT));
                lower.add(word);
                words.add(word);
                if (raw.contains("_") || raw.startsWith("-") || CAMEL.matcher(raw).matches()
                        || (raw.indexOf('.') > 0 && raw.indexOf('.') < raw.length() - 1) || ACRONYM.matcher(raw).matches()) {
                    identifiers.add(word);
                } else if (Character.isUpperCase(raw.codePointAt(0)) && raw.chars().anyMatch(Character::isLowerCase)
                        && !(sentenceStart && (GuardLexicon.OPENERS.contains(word) || GuardLexicon.STOPWORDS.contains(word)))) {
                    entities.add(word);
                }
                if (GuardLexicon.NEGATIONS.contains(word) || word.endsWith("n't") || word.startsWith("non-")) negations++;
                String number = null;
                for (String part : word.split("-")) {
                    String spelled = GuardLexicon.NUMBER_WORDS.get(part);
                    if (spelled != null) numbers.add(number = spelled);
                }
                boolean topic = number == null && !GuardLexicon.STOPWORDS.contains(word) && !GuardLexicon.NEGATIONS.contains(word)
                        && !NUMBER.matcher(word).matches();
                topical.add(topic);
                if (topic) terms.merge(term(word), 1, Integer::sum);
                sentenceStart = false;
            }
            String spaced = " " + String.join(" ", lower) + " ";
            List<Set<Integer>> poles = new ArrayList<>();
            for (List<Set<String>> scale : GuardLexicon.SCALES) {
                Set<Integer> named = new HashSet<>();
                for (int p = 0; p < scale.size(); p++) {
                    for (String w : scale.get(p)) if (spaced.contains(" " + w + " ")) named.add(p);
                }
                poles.add(named);
            }
            Set<Relation> relations = new HashSet<>();
            for (int i = 0; i < lower.size(); i++) {
                String c = GuardLexicon.CONNECTORS.get(lower.get(i));
                if (c == null) continue;
                // Terms are often more than one word ("local time to UTC"): every term near one side relates to every
                // term near the other.
                for (String left : nearTopics(lower, topical, i, -1)) {
                    for (String right : nearTopics(lower, topical, i, +1)) relations.add(new Relation(left, c, right));
                }
            }
            return new Facts(numbers, identifiers, entities, negations, poles, relations, words, terms);
        }

        /** Up to {@link #RELATION_WINDOW} topic terms on one side of a connector, stopping at another connector. */
        private static List<String> nearTopics(List<String> lower, List<Boolean> topical, int from, int step) {
            List<String> out = new ArrayList<>();
            for (int i = from + step, seen = 0; i >= 0 && i < lower.size() && seen < RELATION_WINDOW + 2; i += step, seen++) {
                if (GuardLexicon.CONNECTORS.containsKey(lower.get(i))) break;
                if (topical.get(i)) out.add(term(lower.get(i)));
                if (out.size() == RELATION_WINDOW) break;
            }
            return out;
        }

        private static String number(String s) {
            try {
                return new BigDecimal(s.replace(",", "")).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException e) {
                return s;
            }
        }
    }

    /** A token without the punctuation that ends a sentence or a quote around it. */
    private static String trimmed(String token) {
        int end = token.length();
        while (end > 0 && ".'-".indexOf(token.charAt(end - 1)) >= 0) end--;
        return token.substring(0, end);
    }

    /** A word without its possessive. */
    private static String bare(String word) {
        return word.endsWith("'s") ? word.substring(0, word.length() - 2) : word;
    }

    /** A word as a topic: its synonym group's name, else its stem. */
    static String term(String word) {
        String synonym = GuardLexicon.SYNONYMS.get(word);
        return synonym != null ? synonym : stem(word);
    }

    /** A light suffix stripper: enough that "spiders" and "spider", "painted" and "painter" compare equal. */
    static String stem(String w) {
        if (w.length() <= 3) return w;
        String s = w;
        if (s.endsWith("ies") && s.length() > 4) s = s.substring(0, s.length() - 3) + "y";
        else if (s.endsWith("sses")) s = s.substring(0, s.length() - 2);
        else if (s.matches(".*(ch|sh|x|ss)es")) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("s") && !s.endsWith("ss") && !s.endsWith("us") && !s.endsWith("is")) s = s.substring(0, s.length() - 1);
        if (s.endsWith("ing") && s.length() > 5) s = s.substring(0, s.length() - 3);
        else if (s.endsWith("ed") && s.length() > 4) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("er") && s.length() > 5) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("ly") && s.length() > 5) s = s.substring(0, s.length() - 2);
        if (s.endsWith("e") && s.length() > 3) s = s.substring(0, s.length() - 1);
        return s;
    }
}
