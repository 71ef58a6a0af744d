package dev.tiergate.core.routing;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Why no tier can take a request. The gateway says it to the client in OpenAI's error shape. */
public sealed interface RouteRefusal extends RouteResult {

    /** The key's and its team's allow-lists leave no tier. */
    record NoTierAllowed() implements RouteRefusal {}

    /** The request named a model that is no tier's. */
    record UnknownModel(String model) implements RouteRefusal {}

    /** The named tier is not on the key's or its team's allow-list; {@code allowed} is what they may use. */
    record TierNotAllowed(String tier, List<String> allowed) implements RouteRefusal {}

    /** The prompt (and max_tokens) does not fit the named tier's context window. */
    record PromptTooLong(String tier, int promptTokens, Optional<Integer> maxTokens, int contextWindow) implements RouteRefusal {}

    /** The named tier fails some of the request's constraints, each described. */
    record TierUnfit(String tier, List<String> unmet) implements RouteRefusal {}

    /**
     * No tier the caller may use meets the request's constraints.
     *
     * @param unmet        per tier, what it fails
     * @param contextOnly  every tier fails on its context window (the prompt is too long for all of them)
     */
    record NoTierFits(Map<String, List<String>> unmet, boolean contextOnly) implements RouteRefusal {}
}
