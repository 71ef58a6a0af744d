package dev.tiergate.core.routing;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The heuristic scorer's vocabulary, as an index of phrases by their first word, so that finding every cue in a
 * prompt is one pass over its words with a hash look-up each: microseconds even for a long prompt, where a set of
 * alternation regexes costs a millisecond.
 */
final class CueLexicon {

    record Phrase(String[] words, Cue cue) {}

    private final Map<String, List<Phrase>> byFirstWord = new HashMap<>();

    CueLexicon() {
        add(Cue.MEDIUM, "summarize summarise summary explain describe compare contrast rewrite rephrase paraphrase translate "
                + "extract classify categorize categorise outline list draft compose edit proofread improve suggest recommend "
                + "brainstorm discuss elaborate illustrate imagine pretend roleplay role-play persuasive convert format tips advice "
                + "ideas difference differences similarities benefits advantages disadvantages insight insights overview impact "
                + "effect effects influence why poem story essay email e-mail letter blog post tweet speech slogan headline song "
                + "lyrics dialogue review bio limerick identify challenges methods factors causes role importance significance "
                + "example examples json table script podcast episode video presentation agenda recipe");
        add(Cue.MEDIUM, "write a|write an|write me|write the|write some|act as|pros and cons|cover letter|what if|how can i|how can we|"
                + "how can you|how do i|how do we|how do you|how should i|how should we|how would i|how would you|how could i|"
                + "how could we|how do one|script for|what are some|what are the");
        add(Cue.DEEP, "prove proof derive derivation analyze analyse analysis evaluate assess critique critically forecast predict "
                + "design architect architecture optimize optimise strategy strategies trade-off trade-offs tradeoff tradeoffs "
                + "justify recommendation feasibility itinerary roadmap diagnose simulate formulate");
        add(Cue.DEEP, "root cause|model the|plan a|plan an|plan the|plan my|plan our|what could be the reason|what could be the reasons");
        add(Cue.MATH_TERM, "integral derivative eigenvalue eigenvalues polynomial logarithm theorem modulo remainder probability "
                + "permutation permutations combinations variance triangle radius vertices divisible digit digits");
        add(Cue.MATH_TERM, "prime factor|prime factors|standard deviation");
        add(Cue.NUMBER_WORD, "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred "
                + "thousand million twice thrice half double triple quarter dozen");
        add(Cue.QUANTITY, "calculate compute");
        add(Cue.QUANTITY, "how many|how much|how long|how far|how old|how fast|how often|work out|find the|determine the|"
                + "estimate the|what percent|what percentage");
        add(Cue.CODE_VERB, "write implement develop create build code program generate complete fix debug refactor optimize "
                + "optimise port");
        add(Cue.CODE_NOUN, "function functions program programs script scripts class classes method methods query queries "
                + "algorithm algorithms code api regex endpoint component module parser compiler sql tests");
        add(Cue.CODE_NOUN, "unit test|unit tests|regular expression|linked list|binary tree|binary search|hash map|hash table|"
                + "data structure|trie|heap|hashmap|graph traversal|stack|queue");
        add(Cue.LANGUAGE, "python java javascript typescript c++ c# golang rust kotlin scala ruby php sql bash haskell html css swift react");
        add(Cue.CODE, "docstring big-o re-render re-renders rerender rerenders");
        add(Cue.CODE, "time complexity|space complexity|null pointer|in html|in css|in python|in java|in javascript|in typescript|"
                + "in c++|in c#|in rust|in golang|in kotlin|in swift|in sql|in bash|in react|using html|using css|using python|"
                + "using java|using javascript|using typescript|using c++|using rust|using golang|using kotlin|using swift|"
                + "using sql|using bash|using react|in go|using go");
        add(Cue.STEPS, "step by step|step-by-step|show your work|show your working|show all work|show the steps|show your reasoning|"
                + "reason step|reasoning step|reason through|justify your answer|justify the answer|explain your reasoning|"
                + "explain your answer|with an explanation");
        add(Cue.PUZZLE, "doesn't belong|does not belong|odd one out|which one is different|which number does not fit|which word does not fit|"
                + "which item does not fit|next number in the sequence|next term in the sequence|next number in the series|"
                + "next letter in the sequence|can we conclude|can we infer|can we deduce|what's your current position|"
                + "whats your current position|what is your current position|who is the tallest|who is the shortest|"
                + "who is the second tallest|who is the second shortest|who is the oldest|who is the youngest");
        add(Cue.ROLE_PLAY, "act as|pretend|imagine you are|imagine yourself|picture yourself|roleplay|role-play|you are a|"
                + "you are an|you are my|you are now");
    }

    private void add(Cue cue, String spec) {
        String[] phrases = spec.contains("|") ? spec.split("\\|") : spec.split(" ");
        for (String p : phrases) {
            String[] words = p.trim().split(" ");
            byFirstWord.computeIfAbsent(words[0], k -> new ArrayList<>()).add(new Phrase(words, cue));
        }
    }

    /** The cues found in the words, with the position of each first occurrence and how often each occurred. */
    Found find(String[] words, int count) {
        Found f = new Found();
        for (int i = 0; i < count; i++) {
            List<Phrase> candidates = byFirstWord.get(words[i]);
            if (candidates == null) continue;
            for (Phrase p : candidates) {
                if (i + p.words().length > count) continue;
                boolean match = true;
                for (int k = 1; k < p.words().length && match; k++) match = p.words()[k].equals(words[i + k]);
                if (match) f.record(p.cue(), i);
            }
        }
        return f;
    }

    /** Which cues occurred, where first, and how often. */
    static final class Found {
        private final EnumSet<Cue> cues = EnumSet.noneOf(Cue.class);
        private final int[] first = new int[Cue.values().length];
        private final int[] counts = new int[Cue.values().length];
        private final List<int[]> positions = new ArrayList<>();

        private void record(Cue cue, int at) {
            if (cues.add(cue)) first[cue.ordinal()] = at;
            counts[cue.ordinal()]++;
            positions.add(new int[]{cue.ordinal(), at});
        }

        boolean has(Cue c) {
            return cues.contains(c);
        }

        int count(Cue c) {
            return counts[c.ordinal()];
        }

        int first(Cue c) {
            return has(c) ? first[c.ordinal()] : -1;
        }

        /** True when a {@code b} cue starts within {@code window} words after an {@code a} cue. */
        boolean followedWithin(Cue a, Cue b, int window) {
            for (int[] pa : positions) {
                if (pa[0] != a.ordinal()) continue;
                for (int[] pb : positions) {
                    if (pb[0] == b.ordinal() && pb[1] > pa[1] && pb[1] - pa[1] <= window) return true;
                }
            }
            return false;
        }
    }
}
