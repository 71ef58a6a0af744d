package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.usage.TokenCounter;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiKey KEY = new ApiKey("k", "h", "acme", "t", "u", Role.USER, List.of(), Instant.EPOCH, Optional.empty(), false);

    private static RoutingRequest of(String model, List<String> userTurns, boolean tools) {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", "Be brief.");
        for (String t : userTurns) {
            messages.addObject().put("role", "user").put("content", t);
            messages.addObject().put("role", "assistant").put("content", "Done.");
        }
        if (tools) body.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "lookup");
        return new RoutingRequests(new TokenCounter(), team -> List.of()).of(KEY, ChatRequest.from(body), h -> Optional.empty());
    }

    @Test
    void anAutoRoutedRequestCarriesItsEarlierUserTurnsAndWhetherItHasTools() {
        RoutingRequest r = of("auto", List.of("Write a Python function that sorts a list.", "Add type hints.", "Now do it for tuples."), true);
        assertThat(r.classifyText()).isEqualTo("Now do it for tuples.");
        assertThat(r.earlierTurns()).isEqualTo("Write a Python function that sorts a list.\nAdd type hints.");
        assertThat(r.tools()).isTrue();
        assertThat(of("auto", List.of("Hi"), false).earlierTurns()).isEmpty();
        // A named tier is not classified: the conversation is not read for it.
        assertThat(of("small", List.of("Write a function.", "Now for tuples."), false).earlierTurns()).isEmpty();
    }

    @Test
    void aLongConversationYieldsOnlyTheEndOfItsEarlierTurns() {
        String turn = "x".repeat(1_000);
        java.util.List<String> turns = new java.util.ArrayList<>();
        for (int i = 0; i < 2_000; i++) turns.add(i + turn);
        turns.add("and again");
        String earlier = of("auto", turns, false).earlierTurns();
        assertThat(earlier).hasSize(RoutingRequests.EARLIER_CHARS);
        assertThat(earlier).endsWith("1999" + turn);
    }
}
