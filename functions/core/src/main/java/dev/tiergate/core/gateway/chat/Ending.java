package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageSource;

/**
 * How a dispatched request ended, as far as its usage record and its observers need to know.
 *
 * @param status HTTP status the client got (200 for a stream that started, whatever happened later)
 * @param ttftMs time to the first token a streaming client received; -1 when none did, or for a whole answer
 * @param answer the answer's text, recorded only for teams that log content
 */
record Ending(TokenUsage used, int status, Outcome outcome, UsageSource source, long ttftMs, String answer) {

    /** The usage an upstream reported, read leniently: a field it left out counts zero. */
    static TokenUsage reported(com.fasterxml.jackson.databind.JsonNode u) {
        return new TokenUsage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0),
                u.path("prompt_tokens_details").path("cached_tokens").asInt(0));
    }

    static Ending answered(TokenUsage used, UsageSource source, String answer) {
        return new Ending(used, 200, Outcome.OK, source, -1, answer);
    }

    /** Nothing was produced: no token to charge, the hold goes back. */
    static Ending nothing(int status, Outcome outcome, UsageSource source) {
        return new Ending(TokenUsage.NONE, status, outcome, source, -1, "");
    }
}
