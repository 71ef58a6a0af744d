package dev.tiergate.core.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cheap signals, microseconds each, that say how hard a prompt is: what it asks for (intent words), its shape
 * (a short factual question, a long brief), and the <em>forced</em> triggers that always need the top tier: code
 * (fenced blocks, syntax, stack traces, requests to write or fix code), math (equations, word problems with numbers
 * and a quantity to find) and multi-step instructions.
 *
 * <p>The score runs from 0 (a look-up) to 1 (deep work); the classifier blends it with the embedding scorer.
 */
public final class HeuristicScorer {

    /**
     * What the heuristics concluded, and which signals fired. {@code atLeast} and {@code atMost} bound the class when
     * the prompt says plainly what it is (asking to write or explain is at least medium; a definition is simple),
     * so a learned scorer cannot overrule an explicit request.
     */
    public record Assessment(double score, boolean forcedComplex, List<String> reasons,
                             java.util.Optional<ComplexityClass> atLeast, java.util.Optional<ComplexityClass> atMost) {
        public Assessment {
            reasons = List.copyOf(reasons);
        }
    }

    private static final Pattern CODE_SYNTAX = Pattern.compile(
            "```|\\bdef \\w+\\s*\\(|\\bfunction\\s*\\w*\\s*\\(|\\bclass \\w+\\s*[:({]|#include\\s*<|\\bpublic (static )?\\w+|"
                    + "\\bimport [\\w.]+;|\\bconsole\\.log\\(|=>\\s*\\{|\\bSELECT\\b.+\\bFROM\\b|\\bfn \\w+\\(|\\w+\\([^)]*\\)\\s*\\{|"
                    + "\\breturn [^.]*;");
    private static final Pattern STACK_TRACE = Pattern.compile(
            "Traceback \\(most recent call last\\)|Exception in thread|\\bat [\\w.$]+\\([\\w]+\\.java:\\d+\\)|"
                    + "\\b\\w+(Error|Exception): |\\b[Ss]egmentation fault\\b|\\bpanic: ");
    private static final Pattern CODE_REQUEST = Pattern.compile(
            "\\b(write|implement|develop|create|build|code|program|generate|complete|fix|debug|refactor|optimi[sz]e|port)\\b"
                    + "[^.?!\\n]{0,60}\\b(functions?|programs?|scripts?|class(es)?|methods?|quer(y|ies)|algorithms?|code|api|"
                    + "unit tests?|tests|regex|regular expression|endpoint|component|module|parser|compiler|sql)\\b|"
                    + "\\b(python|java|javascript|typescript|c\\+\\+|c#|golang|rust|kotlin|scala|ruby|php|sql|bash|haskell)\\b"
                    + "[^.?!\\n]{0,40}\\b(function|program|script|code|class|query|implementation)\\b|"
                    + "\\b(time|space) complexity\\b|\\bbig-?o\\b|\\bdocstring\\b|\\bre-?renders?\\b|\\bnull pointer\\b|"
                    + "\\b(in|using) (html|css|python|java|javascript|typescript|c\\+\\+|c#|rust|golang|kotlin|swift|sql|bash|react)\\b");
    /** A written-out calculation: these force the top tier. */
    private static final Pattern EXPRESSION = Pattern.compile(
            "\\d\\s*[-+*/^×÷=<>]\\s*(\\d|\\(|[a-z]\\b)|\\b[a-z]\\s*\\^\\s*\\d|\\b\\d+[a-z]\\s*[-+=]\\s*\\d|"
                    + "\\bf\\([a-z]\\)\\s*=|\\b(solve|simplify|factori[sz]e|differentiate|integrate) (for|the|this|each)\\b|"
                    + "\\([-\\d.]+,\\s*[-\\d.]+\\)");
    /** Mathematical vocabulary: a hint, not proof (a chemistry essay mentions equations too). */
    private static final Pattern MATH_TERMS = Pattern.compile(
            "\\b(integral|derivative|eigenvalues?|polynomial|logarithm|theorem|modulo|remainder|prime factors?|probability|"
                    + "permutations?|combinations|variance|standard deviation|triangle|radius|vertices|divisible|digits?)\\b");
    private static final Pattern NUMBER = Pattern.compile(
            "\\$?\\d[\\d,]*(\\.\\d+)?%?|\\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                    + "fifty|hundred|thousand|million|twice|thrice|half|double|triple|quarter|dozen)\\b");
    private static final Pattern QUANTITY_QUESTION = Pattern.compile(
            "\\bhow (many|much|long|far|old|fast|often)\\b|\\bwhat (is|was|are|were|will be) (the|her|his|their|its) "
                    + "(\\w+ ){0,3}(total|area|sum|average|mean|remainder|probability|value|number|cost|price|speed|distance|"
                    + "length|perimeter|volume|ratio|difference|product|result|percentage|profit|age|amount|rate|score)\\b|"
                    + "\\b(calculate|compute|work out|find the|determine the|estimate the)\\b|\\bwhat percent(age)?\\b");
    private static final Pattern LIST_ITEM = Pattern.compile("(?m)^\\s*(\\d+[.)]|[-*•])\\s+\\S");
    private static final Pattern STEP_WORDS = Pattern.compile(
            "\\bstep[- ]by[- ]step\\b|\\bshow (your|all|the) (work|working|steps|reasoning)\\b|\\breason(ing)? (step|through)\\b|"
                    + "\\bjustify (your|the) answer\\b|\\bexplain your (reasoning|answer)\\b|\\b(answer|solve) [^.?!]{0,30}with an explanation\\b");
    /** Puzzles whose answer takes several steps of reasoning: forced to the top tier. */
    private static final Pattern PUZZLE = Pattern.compile(
            "\\bdoes(n't| not) belong\\b|\\bodd one out\\b|\\bwhich (one|number|word|item) (is different|does not fit|doesn't fit)\\b|"
                    + "\\bnext (number|term|letter) in the (sequence|series|pattern)\\b|\\bcan we (conclude|infer|deduce)\\b|"
                    + "\\bwhat(')?s your current position\\b|\\bwho is (the )?(second |third )?(tallest|shortest|oldest|youngest)\\b");
    private static final Pattern ROLE_PLAY = Pattern.compile(
            "^\\s*(act as|pretend|imagine (you are|yourself)|picture yourself|role-?play|you are (now )?(a|an|my) )");
    private static final Pattern DEEP_INTENT = Pattern.compile(
            "\\b(prove|proof|derive|derivation|analy[sz]e|analysis|evaluate|assess|critique|critically|forecast|predict|"
                    + "design|architect(ure)?|optimi[sz]e|strategy|strategies|trade-?offs?|justify|recommend(ation)?|"
                    + "feasibility|itinerary|roadmap|diagnose|root cause|simulate|model the|formulate)\\b|"
                    + "\\bplan (a|an|the|my|our)\\b|\\b\\d+[- ]day (plan|trip|itinerary|schedule)\\b|\\bwhat could be the reasons?\\b|"
                    + "\\bcan we conclude\\b|\\bwhat(')?s your current position\\b");
    private static final Pattern MEDIUM_INTENT = Pattern.compile(
            "\\b(summari[sz]e|summary|explain|describe|compare|contrast|rewrite|rephrase|paraphrase|translate|extract|classify|"
                    + "categori[sz]e|outline|list|draft|compose|edit|proofread|improve|suggest|recommend|brainstorm|discuss|"
                    + "elaborate|illustrate|imagine|pretend|role-?play|act as|persuasive|convert|format|tips|advice|ideas|"
                    + "differences?|similarities|pros and cons|benefits|advantages|disadvantages|insights?|overview|"
                    + "impact|effects?|influence|why)\\b|"
                    + "\\bwrite (a|an|me|the|some)\\b|\\b(poem|story|essay|email|e-mail|letter|blog|post|tweet|speech|slogan|"
                    + "headline|song|lyrics|dialogue|script for|review|bio|cover letter|limerick)\\b|"
                    + "\\bhow (can|do|should|would|could) (i|we|you|one)\\b|\\bwhat if\\b|\\bwhat are (some|the) (best |main |key |major )?"
                    + "(ways|benefits|reasons|factors|causes|differences|steps|challenges)\\b|"
                    + "\\b(identify|challenges|methods|factors|causes|role|importance|significance|examples?|json|table|"
                    + "script|podcast|episode|video|presentation|agenda|recipe|itinerary for a day)\\b");
    private static final Pattern LOOKUP = Pattern.compile(
            "^(who|what|when|where|which|whose|whom|how (tall|old|big|far|long|many|much)|is|are|was|were|did|does|do|can|name)\\b");
    private static final Pattern DEFINITION = Pattern.compile(
            "^(define|definition of|meaning of)\\b|^what (is|are|was) (a |an |the )?[\\w'-]+( [\\w'-]+){0,2}\\??$|"
                    + "\\bstand for\\??$|\\bwhat does [\\w'-]+( [\\w'-]+)? mean\\??$");

    /**
     * Scores the text (already sliced by the caller). Most patterns run on the lower-cased text: case-insensitive
     * alternations are several times slower in java.util.regex.
     */
    public Assessment score(String text) {
        String original = text.strip();
        String t = lower(original);
        List<String> reasons = new ArrayList<>();
        int words = t.isEmpty() ? 0 : t.split("\\s+").length;

        // Forced triggers: these prompts need the top tier whatever else is said.
        if (CODE_SYNTAX.matcher(original).find()) reasons.add("code:syntax");
        if (STACK_TRACE.matcher(original).find()) reasons.add("code:stack_trace");
        if (CODE_REQUEST.matcher(t).find()) reasons.add("code:request");
        int numbers = count(NUMBER.matcher(t));
        boolean expression = EXPRESSION.matcher(t).find();
        boolean quantity = QUANTITY_QUESTION.matcher(t).find();
        if (expression) reasons.add("math:expression");
        if (numbers >= 2 && quantity) reasons.add("math:word_problem");
        if (PUZZLE.matcher(t).find()) reasons.add("reasoning:puzzle");
        int items = count(LIST_ITEM.matcher(t));
        if (items >= 3 && DEEP_INTENT.matcher(t).find()) reasons.add("multi_step:instructions");
        boolean forced = !reasons.isEmpty();

        double score;
        java.util.Optional<ComplexityClass> atLeast = java.util.Optional.empty();
        java.util.Optional<ComplexityClass> atMost = java.util.Optional.empty();
        if (forced) {
            score = 0.95;
        } else {
            score = 0.45;
            boolean deep = DEEP_INTENT.matcher(t).find();
            boolean steps = STEP_WORDS.matcher(t).find();
            boolean mediumIntent = MEDIUM_INTENT.matcher(t).find();
            boolean lookup = LOOKUP.matcher(t).find();
            boolean definition = DEFINITION.matcher(t).find();
            if (deep) {
                score = 0.72;
                reasons.add("intent:deep");
            } else if (mediumIntent) {
                score = 0.48;
                reasons.add("intent:explain_or_write");
            }
            if (steps) {
                // Asking for the reasoning behind the answer to a question is a strong sign of a reasoning task.
                score += t.contains("?") ? 0.2 : 0.12;
                reasons.add("shape:asks_for_reasoning");
            }
            if (numbers >= 3 && quantity) {
                score += 0.1;
                reasons.add("math:numbers");
            }
            if (MATH_TERMS.matcher(t).find()) {
                score += 0.15;
                reasons.add("math:terms");
            }
            boolean rolePlay = ROLE_PLAY.matcher(t).find();
            if (rolePlay) reasons.add("intent:role_play");
            if (rolePlay || (mediumIntent && !deep && !steps)) {
                // Asking to write, explain, compare or extract is at least medium, and not deep work by itself.
                atLeast = java.util.Optional.of(ComplexityClass.MEDIUM);
                atMost = java.util.Optional.of(ComplexityClass.MEDIUM);
            }
            if (!deep && !mediumIntent && (definition || (lookup && words <= 16))) {
                score = definition ? 0.08 : 0.15;
                reasons.add(definition ? "shape:definition" : "shape:short_question");
                if (definition) atMost = java.util.Optional.of(ComplexityClass.SIMPLE);
            } else if (!deep && !mediumIntent && words <= 8) {
                score = 0.2;
                reasons.add("shape:very_short");
            }
            if (words > 120) {
                score += 0.08;
                reasons.add("length:long");
            }
            if (words > 400) {
                score += 0.08;
                reasons.add("length:very_long");
            }
            if (items >= 3) {
                score += 0.06;
                reasons.add("shape:list_of_" + items);
            }
            if (reasons.isEmpty()) reasons.add("no_signal");
        }
        return new Assessment(Math.max(0, Math.min(1, score)), forced, reasons, atLeast, atMost);
    }

    private static int count(Matcher m) {
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    /** Lower-cases for case-insensitive look-ups without the default locale's surprises. */
    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
