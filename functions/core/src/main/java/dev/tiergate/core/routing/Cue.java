package dev.tiergate.core.routing;

/** The kinds of word and phrase the heuristic scorer looks for. */
enum Cue {
    /** asks to write, explain, compare, extract, advise: medium work */
    MEDIUM,
    /** asks to prove, analyse, design, forecast, plan: deep work */
    DEEP,
    /** mathematical vocabulary */
    MATH_TERM,
    /** a number written as a word (three, twice, dozen) */
    NUMBER_WORD,
    /** asks for a quantity: how many, calculate, find the */
    QUANTITY,
    /** a verb that asks for code to be written or changed */
    CODE_VERB,
    /** a thing made of code: function, script, query */
    CODE_NOUN,
    /** a programming language */
    LANGUAGE,
    /** a code request on its own: time complexity, unit tests, in python */
    CODE,
    /** asks to see the reasoning */
    STEPS,
    /** a logic puzzle */
    PUZZLE,
    /** opens a role-play */
    ROLE_PLAY
}
