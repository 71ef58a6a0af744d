package dev.tiergate.core.routing;

import java.util.List;
import java.util.Optional;

/**
 * Everything the router needs to know about one request.
 *
 * @param model          {@code auto}, a tier name or a served model name
 * @param classifyText   what the classifier reads (the latest user turn)
 * @param promptTokens   the whole prompt's token count, for context windows and cost estimates
 * @param maxTokens      the client's {@code max_tokens}, if any
 * @param keyAllowed     tiers the key may use; empty means all
 * @param teamAllowed    tiers the key's team may use; empty means all
 * @param ceiling        the most capable tier allowed (the budget's downgrade hook); empty means no ceiling
 * @param choices        how many answers the request asks for ({@code n}): each may produce up to the output bound
 * @param mediaParts     image, audio and file parts, whose tokens only the tier's own processor can count
 * @param earlierTurns   the user turns before the latest, for a follow-up that continues one of them ({@link RoutingText})
 * @param tools          the request defines tools
 */
public record RoutingRequest(String model, String classifyText, int promptTokens, Optional<Integer> maxTokens,
                             RouteConstraints constraints, List<String> keyAllowed, List<String> teamAllowed,
                             String team, String user, Optional<String> ceiling, int choices, int mediaParts,
                             String earlierTurns, boolean tools) {
    public RoutingRequest {
        keyAllowed = List.copyOf(keyAllowed);
        teamAllowed = List.copyOf(teamAllowed);
        if (choices < 1) throw new IllegalArgumentException("choices must be at least 1, got " + choices);
        if (mediaParts < 0) throw new IllegalArgumentException("mediaParts must be >= 0, got " + mediaParts);
    }

    /** One text-only answer. */
    public RoutingRequest(String model, String classifyText, int promptTokens, Optional<Integer> maxTokens,
                          RouteConstraints constraints, List<String> keyAllowed, List<String> teamAllowed,
                          String team, String user, Optional<String> ceiling) {
        this(model, classifyText, promptTokens, maxTokens, constraints, keyAllowed, teamAllowed, team, user, ceiling, 1, 0, "", false);
    }

    /** What the classifier reads. */
    public RoutingText conversation() {
        return new RoutingText(classifyText, earlierTurns, tools);
    }

    public RoutingRequest withCeiling(String tier) {
        return new RoutingRequest(model, classifyText, promptTokens, maxTokens, constraints, keyAllowed, teamAllowed, team, user,
                Optional.of(tier), choices, mediaParts, earlierTurns, tools);
    }
}
