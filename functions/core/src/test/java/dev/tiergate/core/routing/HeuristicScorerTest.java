package dev.tiergate.core.routing;

import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

class HeuristicScorerTest {

    private final HeuristicScorer h = new HeuristicScorer();

    @Test
    void codeOfEveryKindForcesTheTopTier() {
        assertThat(h.score("Why does this fail?\n```\nx = foo()\n```").reasons()).contains("code:syntax");
        assertThat(h.score("Traceback (most recent call last):\n  File \"a.py\", line 3\nValueError: bad").reasons()).contains("code:stack_trace");
        assertThat(h.score("Please write a function that merges two sorted lists.").reasons()).contains("code:request");
        assertThat(h.score("Build me a landing page in HTML with a signup form.").reasons()).contains("code:request");
        assertThat(h.score("What is the time complexity of quicksort?").forcedComplex()).isTrue();
    }

    @Test
    void mathNeedsAnExpressionOrAWordProblemNotJustAWord() {
        assertThat(h.score("Solve 3x + 4 = 19.").reasons()).contains("math:expression");
        assertThat(h.score("A bakery sells 24 muffins a day at 3 dollars each. How much does it earn in a week?").reasons())
                .contains("math:word_problem");
        assertThat(h.score("Find the area of the triangle with corners (0, 0), (4, 0) and (0, 3).").forcedComplex()).isTrue();
        // Vocabulary and hyphenated ages are not calculations.
        assertThat(h.score("Describe the balanced equation of photosynthesis in words.").forcedComplex()).isFalse();
        assertThat(h.score("Write a diary entry from a 100-year-old oak tree.").forcedComplex()).isFalse();
    }

    @Test
    void puzzlesAreReasoning() {
        assertThat(h.score("Which word does not belong: apple, pear, carrot, plum?").reasons()).contains("reasoning:puzzle");
    }

    @Test
    void definitionsAndShortFactsAreSimpleAndCannotBeRaised() {
        HeuristicScorer.Assessment d = h.score("What is a mortgage?");
        assertThat(d.reasons()).contains("shape:definition");
        assertThat(d.atMost()).contains(ComplexityClass.SIMPLE);
        assertThat(h.score("Who composed the Four Seasons?").reasons()).contains("shape:short_question");
        assertThat(h.score("Who composed the Four Seasons?").score()).isLessThan(0.3);
    }

    @Test
    void explicitWritingOrExplainingIsPinnedToMedium() {
        HeuristicScorer.Assessment a = h.score("Write a short poem about the sea at night.");
        assertThat(a.atLeast()).contains(ComplexityClass.MEDIUM);
        assertThat(a.atMost()).contains(ComplexityClass.MEDIUM);
        HeuristicScorer.Assessment role = h.score("Act as a travel agent and suggest a weekend in Porto, step by step.");
        assertThat(role.reasons()).contains("intent:role_play");
        assertThat(role.atMost()).contains(ComplexityClass.MEDIUM);
    }

    @Test
    void deepIntentAndRequestsForReasoningScoreHigh() {
        assertThat(h.score("Analyze the risks of expanding our bakery chain into a new country.").score()).isGreaterThan(0.7);
        assertThat(h.score("Tom is older than Ann. Is Ann older than Tom? Explain your reasoning.").reasons()).contains("shape:asks_for_reasoning");
    }

    @Test
    void expressionScannerAndListCounterWork() {
        assertThat(HeuristicScorer.hasExpression("what is 12 * 7")).isTrue();
        assertThat(HeuristicScorer.hasExpression("y = x^2 + 1")).isTrue();
        assertThat(HeuristicScorer.hasExpression("a well-known e-mail")).isFalse();
        assertThat(HeuristicScorer.hasExpression("open 9-5 on weekdays")).isTrue();
        assertThat(HeuristicScorer.listItems("Do this:\n1. a\n2) b\n- c\n* d\nnot an item")).isEqualTo(4);
    }

    @Test
    void onlyTheHeadAndTailOfALongPromptAreRead() {
        String context = "The quarterly report covers sales in the north region. ".repeat(400);
        String prompt = "Here is some context.\n" + context + "\nQuestion: what is the capital of Peru?";
        String slice = PromptSlice.of(prompt, 2048, 512);
        assertThat(slice.length()).isLessThan(2048 + 512 + 10);
        assertThat(slice).startsWith("Here is some context.").endsWith("what is the capital of Peru?");
        assertThat(PromptSlice.of("short", 2048, 512)).isEqualTo("short");
        // What the router reads does not grow with the context: ten times the context, the same slice and verdict.
        String tenTimes = "Here is some context.\n" + context.repeat(10) + "\nQuestion: what is the capital of Peru?";
        String bigSlice = PromptSlice.of(tenTimes, 2048, 512);
        assertThat(bigSlice).isEqualTo(slice);
        assertThat(h.score(bigSlice)).isEqualTo(h.score(slice));
    }
}
