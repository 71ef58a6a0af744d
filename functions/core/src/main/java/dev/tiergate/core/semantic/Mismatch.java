package dev.tiergate.core.semantic;

import java.util.Locale;

/** Why two similar prompts may not share an answer: what the {@link FalseHitGuard} found they disagree on. */
public enum Mismatch {
    /** Different numbers, or the same numbers in another order ("17 times 23" / "17 times 24"). */
    NUMBERS,
    /** A name one prompt gives that the other lacks ("capital of France" / "capital of Spain"). */
    ENTITIES,
    /** Different code names: identifiers, error codes, flags ("parse_config" / "parse_settings"). */
    IDENTIFIERS,
    /** One prompt negates what the other asserts ("gluten-free" / "not gluten-free"). */
    NEGATION,
    /** Opposite poles of one scale ("largest" / "smallest", "enable" / "disable"). */
    POLARITY,
    /** The same terms in another direction ("Celsius to Fahrenheit" / "Fahrenheit to Celsius"). */
    DIRECTION,
    /** One term swapped for another with everything else equal ("recipe with beef" / "recipe with pork"). */
    SUBSTITUTION;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
