package dev.tiergate.core.routing;

import java.time.Duration;
import java.util.OptionalDouble;

/** A small model's own 0–10 rating of how complex a prompt is. */
public interface SelfAssessment {

    /** The rating, or empty when it came too late, was not a number, or the call failed: never an exception. */
    OptionalDouble rate(String prompt, Duration timeout);
}
