package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.Endpoint;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.usage.TokenCounter;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** What the router needs from a chat request: the latest user turn to classify, the whole prompt's tokens, the caller's limits. */
public final class RoutingRequests {

    private final TokenCounter tokens;
    private final Function<String, List<String>> teamAllowed;

    /** @param teamAllowed the tiers a team may use (empty: all) */
    public RoutingRequests(TokenCounter tokens, Function<String, List<String>> teamAllowed) {
        this.tokens = tokens;
        this.teamAllowed = teamAllowed;
    }

    /** @param header the request's header values by name */
    public RoutingRequest of(ApiKey caller, ChatRequest chat, Function<String, Optional<String>> header) {
        RouteConstraints constraints = RouteConstraints.from(chat.body(), header);
        int promptTokens = tokens.count(chat.promptText()) + chat.idTokens();
        if (chat.endpoint() == Endpoint.CHAT_COMPLETIONS) {
            // The chat template adds a few tokens per message around the text itself, and renders the tools' definitions.
            promptTokens += 4 * chat.messageCount() + (chat.toolsText().isEmpty() ? 0 : tokens.count(chat.toolsText()) + 16);
        }
        Optional<Integer> maxTokens = chat.maxTokens();
        if (!chat.endpoint().generates()) {
            // Only a tier that embeds may take it, and nothing is generated: the prompt is the whole cost.
            constraints = constraints.withTask(Endpoint.EMBEDDINGS_CAPABILITY);
            maxTokens = Optional.of(0);
        }
        return new RoutingRequest(chat.model(), chat.lastUserText(), promptTokens, maxTokens, constraints,
                caller.allowedTiers(), teamAllowed.apply(caller.team()), caller.team(), caller.user(), Optional.empty(),
                chat.choices(), chat.mediaParts(),
                // Only an auto-routed request is classified: a named tier needs no conversation read.
                dev.tiergate.core.routing.TierRouter.AUTO.equals(chat.model()) ? earlierUserTurns(chat) : "",
                !chat.toolsText().isEmpty());
    }

    /** What of the earlier user turns a follow-up reads: their end. */
    static final int EARLIER_CHARS = 4_096;

    /**
     * The user turns before the latest, oldest first (text parts only), for a follow-up that continues them: only their
     * last {@value #EARLIER_CHARS} characters, gathered from the end, so a long conversation costs no more than a short one.
     */
    static String earlierUserTurns(ChatRequest chat) {
        com.fasterxml.jackson.databind.JsonNode messages = chat.body().path("messages");
        if (chat.endpoint() != Endpoint.CHAT_COMPLETIONS || !messages.isArray()) return "";
        java.util.ArrayDeque<String> turns = new java.util.ArrayDeque<>();
        int chars = 0;
        boolean latestSeen = false;
        for (int i = messages.size() - 1; i >= 0 && chars < EARLIER_CHARS; i--) {
            com.fasterxml.jackson.databind.JsonNode m = messages.get(i);
            if (!"user".equals(m.path("role").asText())) continue;
            if (!latestSeen) {
                latestSeen = true; // the latest turn is what the router classifies itself
                continue;
            }
            String t = text(m.path("content"));
            turns.addFirst(t);
            chars += t.length() + 1;
        }
        String earlier = String.join("\n", turns);
        return earlier.length() <= EARLIER_CHARS ? earlier : earlier.substring(earlier.length() - EARLIER_CHARS);
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode content) {
        if (content.isTextual()) return content.asText();
        StringBuilder sb = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) sb.append(part.path("text").asText()).append('\n');
        }
        return sb.toString();
    }

    TokenCounter tokens() {
        return tokens;
    }
}
