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
 */
public record RoutingRequest(String model, String classifyText, int promptTokens, Optional<Integer> maxTokens,
                             RouteConstraints constraints, List<String> keyAllowed, List<String> teamAllowed,
                             String team, String user, Optional<String> ceiling) {
    public RoutingRequest {
        keyAllowed = List.copyOf(keyAllowed);
        teamAllowed = List.copyOf(teamAllowed);
    }

    public RoutingRequest withCeiling(String tier) {
        return new RoutingRequest(model, classifyText, promptTokens, maxTokens, constraints, keyAllowed, teamAllowed, team, user, Optional.of(tier));
    }
}
