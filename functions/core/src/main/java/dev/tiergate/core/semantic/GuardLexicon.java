package dev.tiergate.core.semantic;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The word lists the {@link FalseHitGuard} reads. English first, with the function words of French, Spanish and
 * German; tuned only on {@code tests/semantic-cache/pairs-dev.jsonl}.
 */
final class GuardLexicon {

    private GuardLexicon() {}

    /** Words that carry no topic: left out when two prompts' terms are compared. */
    static final Set<String> STOPWORDS = words(
            "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done",
            "doing", "have", "has", "had", "having", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he",
            "him", "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those", "there",
            "here", "what", "whats", "which", "who", "whom", "whose", "how", "why", "when", "where", "can", "could",
            "would", "should", "will", "shall", "may", "might", "must", "of", "in", "on", "at", "for", "from", "to",
            "into", "by", "with", "about", "as", "and", "or", "but", "if", "so", "than", "then", "also", "just", "some",
            "any", "all", "each", "every", "really", "very", "please", "tell", "give", "show", "explain", "describe",
            "provide", "help", "need", "want", "know", "say", "let", "lets", "get", "way", "ways",
            "tip", "tips", "idea", "ideas", "thing", "things", "something", "simply", "simple", "term", "terms", "kind",
            "like", "usually", "ok", "okay", "hi", "hello", "hey", "thanks", "thank", "again", "much", "many", "out",
            "use", "used", "using", "suggest", "recommend", "possible", "exactly", "actually", "quick", "brief",
            "briefly", "someone", "anyone", "it's", "im", "i'm", "whats", "what's", "located", "located", "called",
            "le", "la", "les", "de", "du", "des", "un", "une", "est", "quelle", "quel", "quels", "quelles", "comment",
            "je", "mon", "ma", "el", "los", "las", "del", "es", "cómo", "como", "puedo", "mi", "qué", "que", "cuál",
            "der", "die", "das", "ist", "wie", "wenn", "ein", "eine", "und", "y");

    /** Words that open a request without naming anything: not entities when they start a sentence capitalized. */
    static final Set<String> OPENERS = words(
            "write", "compose", "convert", "calculate", "translate", "summarize", "summarise", "split", "divide",
            "define", "compare", "find", "create", "make", "should", "is", "are", "can", "could", "would", "does",
            "did", "do", "was", "were", "will", "between", "at", "in", "on", "for", "from", "to", "after", "before",
            "since", "during", "while", "if", "which", "who", "what", "why", "how", "when", "where", "give", "tell",
            "explain", "list", "name", "suggest", "recommend", "describe", "show", "help", "please", "hi", "hello",
            "hey", "thanks", "ok", "okay", "yes", "no", "not", "the", "a", "an", "my", "our", "your", "i", "we",
            "you", "it", "this", "that", "there", "here", "some", "any", "all", "each", "every", "also", "then",
            "so", "and", "or", "but", "quelle", "quel", "comment", "wie", "was", "wer", "wo", "warum", "cómo",
            "qué", "cuál", "cuántos", "cuántas", "dónde", "por", "generate", "draft", "rewrite", "fix", "add",
            "remove", "delete", "set", "get", "check", "count", "sort", "reverse", "tellme", "answer", "solve");

    /** Negation cues (and any word ending in n't, and the prefix non-). */
    static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "none", "nobody", "nothing",
            "neither", "nor", "cannot", "unable", "ne", "pas", "nicht", "kein", "keine", "sin");

    /** Spelled-out numbers, compared as the numbers they are ("one" is left out: it is more often a pronoun). */
    static final Map<String, String> NUMBER_WORDS = Map.ofEntries(
            Map.entry("zero", "0"), Map.entry("two", "2"), Map.entry("three", "3"), Map.entry("four", "4"),
            Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"), Map.entry("eight", "8"),
            Map.entry("nine", "9"), Map.entry("ten", "10"), Map.entry("eleven", "11"), Map.entry("twelve", "12"),
            Map.entry("thirteen", "13"), Map.entry("fourteen", "14"), Map.entry("fifteen", "15"),
            Map.entry("sixteen", "16"), Map.entry("seventeen", "17"), Map.entry("eighteen", "18"),
            Map.entry("nineteen", "19"), Map.entry("twenty", "20"), Map.entry("thirty", "30"), Map.entry("forty", "40"),
            Map.entry("fifty", "50"), Map.entry("sixty", "60"), Map.entry("seventy", "70"), Map.entry("eighty", "80"),
            Map.entry("ninety", "90"), Map.entry("hundred", "100"), Map.entry("thousand", "1000"),
            Map.entry("million", "1000000"), Map.entry("billion", "1000000000"), Map.entry("dozen", "12"),
            Map.entry("first", "1"), Map.entry("second", "2"), Map.entry("third", "3"), Map.entry("fourth", "4"),
            Map.entry("fifth", "5"), Map.entry("sixth", "6"), Map.entry("seventh", "7"), Map.entry("eighth", "8"),
            Map.entry("ninth", "9"), Map.entry("tenth", "10"), Map.entry("twice", "2"), Map.entry("half", "0.5"));

    /**
     * Scales whose poles cannot share an answer; each inner list is one pole, its words (or phrases) lower case.
     * A prompt may name a pole or not; two prompts that name different poles of one scale disagree.
     */
    static final List<List<Set<String>>> SCALES = List.of(
            List.of(Set.of("large", "larger", "largest", "big", "bigger", "biggest", "huge", "greatest"),
                    Set.of("small", "smaller", "smallest", "little", "tiny", "tiniest")),
            List.of(Set.of("maximum", "max", "highest", "most", "top", "upper"),
                    Set.of("minimum", "min", "lowest", "least", "fewest", "bottom")),
            List.of(Set.of("best", "better", "good", "great", "healthy", "healthier"),
                    Set.of("worst", "worse", "bad", "unhealthy", "harmful")),
            List.of(Set.of("first", "earliest", "beginning", "begin", "start", "rise"),
                    Set.of("last", "final", "latest", "end", "ending", "fall")),
            List.of(Set.of("increase", "increasing", "raise", "grow", "growth", "more"),
                    Set.of("decrease", "decreasing", "reduce", "shrink", "less", "fewer")),
            List.of(Set.of("enable", "enabled", "activate", "turn on", "switch on"),
                    Set.of("disable", "disabled", "deactivate", "turn off", "switch off")),
            List.of(Set.of("ascending"), Set.of("descending")),
            List.of(Set.of("local"), Set.of("remote")),
            List.of(Set.of("pros", "pro", "advantages", "advantage", "upsides"),
                    Set.of("cons", "con", "disadvantages", "disadvantage", "drawbacks", "downsides")),
            List.of(Set.of("always"), Set.of("never")),
            // One pole only: a word that turns the question around, which the other prompt must say too.
            List.of(Set.of("reverse", "reversed", "inverse", "opposite", "backwards")),
            List.of(Set.of("plus", "sum", "addition"), Set.of("minus", "subtract", "subtraction"),
                    Set.of("times", "product", "multiply", "multiplied"), Set.of("divide", "divided", "quotient")));

    /** Words that say the same thing in a request, mapped to one of them (after lower-casing, before stemming). */
    static final Map<String, String> SYNONYMS = synonyms(List.of(
            List.of("write", "wrote", "written", "author", "compose", "composed"),
            List.of("make", "brew", "prepare"),
            List.of("fix", "repair"),
            List.of("speed", "fast"),
            List.of("calculate", "compute", "work", "figure", "determine"),
            List.of("mean", "meaning", "definition", "define"),
            List.of("discover", "discovered", "discoverer"),
            List.of("paint", "painted", "painter"),
            List.of("main", "mainly"),
            List.of("summary", "summarize", "summarise")));

    /** A word list as a set; a word listed twice is listed once. */
    private static Set<String> words(String... words) {
        return Set.copyOf(List.of(words));
    }

    private static Map<String, String> synonyms(List<List<String>> groups) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>();
        for (List<String> g : groups) for (String w : g) m.put(w, g.get(0));
        return Map.copyOf(m);
    }

    /** Words that relate the term before them to the term after, where swapping the two changes the question. */
    static final Map<String, String> CONNECTORS = Map.of("to", "to", "into", "to", "from", "from", "than", "than",
            "in", "in", "per", "in");
}
