package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** POST /route and routed chat over HTTP, with the embedding model loaded. */
class RoutingEndToEndTest {

    private static StackFixture fx;
    private static Map<String, String> key;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(0);
        assertThat(fx.stack.gateway().routing().awaitReady(Duration.ofSeconds(60))).isTrue();
        key = fx.createKey("routing-team", "eve");
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static JsonNode route(String body) throws Exception {
        HttpResponse<String> res = fx.post("/route", key.get("key"), body);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return StackFixture.JSON.readTree(res.body());
    }

    @Test
    void routeAnswersTheDecisionWithTheDocumentedFields() throws Exception {
        JsonNode d = route("{\"prompt\":\"Write a Rust function that reverses the words of a sentence.\"}");
        assertThat(d.get("complexity_class").asText()).isEqualTo("complex");
        assertThat(d.get("tier").asText()).isEqualTo("large");
        assertThat(d.get("model").asText()).isEqualTo("llama-3.3-70b-instruct");
        assertThat(d.get("complexity_score").asDouble()).isBetween(0.5, 1.0);
        assertThat(d.get("confidence").asDouble()).isBetween(0.0, 1.0);
        assertThat(d.get("reasons").toString()).contains("code:request", "model:simple=");
        assertThat(d.get("router_latency_ms").asDouble()).isGreaterThanOrEqualTo(0);
        // The model is loaded, so it scores with the embedding; a measured trigger (a code block) decides without it.
        assertThat(d.get("scorer").asText()).isEqualTo("heuristics+embedding");
        JsonNode block = route("{\"prompt\":\"What is wrong here?\\n```\\nfor i in range(10) print(i)\\n```\"}");
        assertThat(block.get("scorer").asText()).isEqualTo("heuristics");
        assertThat(block.get("reasons").toString()).contains("forced:code:syntax");
        assertThat(block.get("complexity_class").asText()).isEqualTo("complex");
        JsonNode health = StackFixture.JSON.readTree(fx.get("/health", null).body());
        assertThat(health.get("routing_model").asText()).isEqualTo("ready");

        JsonNode simple = route("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Who painted Guernica?\"}]}");
        assertThat(simple.get("complexity_class").asText()).isEqualTo("simple");
        assertThat(simple.get("tier").asText()).isEqualTo("small");
    }

    @Test
    void aFollowUpIsRoutedOnTheConversationAndToolsMakeALookupMedium() throws Exception {
        String followUp = "Now make it work for a whole list.";
        JsonNode conversation = route("""
                {"messages":[{"role":"user","content":"Write a Python function that removes duplicates from a list and keeps the order."},
                {"role":"assistant","content":"def dedupe(xs):\\n    return list(dict.fromkeys(xs))"},
                {"role":"user","content":"%s"}]}""".formatted(followUp));
        assertThat(conversation.get("complexity_class").asText()).isEqualTo("complex");
        assertThat(conversation.get("reasons").toString()).contains("conversation:follow_up");
        assertThat(route("{\"prompt\":\"" + followUp + "\"}").get("complexity_class").asText()).isNotEqualTo("complex");

        JsonNode tools = route("""
                {"messages":[{"role":"user","content":"What's the weather in Lisbon?"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""");
        // The model weighs the tools itself (and the at-least-medium rule would catch it if it did not).
        assertThat(tools.get("complexity_class").asText()).isEqualTo("medium");
        assertThat(route("{\"prompt\":\"What's the weather in Lisbon?\"}").get("complexity_class").asText()).isEqualTo("simple");
    }

    @Test
    void constraintsInBodyOrHeadersMoveTheTier() throws Exception {
        JsonNode d = route("{\"prompt\":\"Who painted Guernica?\",\"tiergate\":{\"task\":\"code\"}}");
        assertThat(d.get("tier").asText()).isEqualTo("medium");
        HttpResponse<String> res = fx.http.send(HttpRequest.newBuilder(fx.url().resolve("/route"))
                .header("Authorization", "Bearer " + key.get("key")).header("Content-Type", "application/json")
                .header("x-tiergate-max-latency-ms", "1000")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Implement quicksort in C.\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(StackFixture.JSON.readTree(res.body()).get("tier").asText()).isEqualTo("small");
    }

    @Test
    void badRouteRequestsAre400() throws Exception {
        assertThat(fx.post("/route", key.get("key"), "{}").statusCode()).isEqualTo(400);
        assertThat(fx.post("/route", key.get("key"), "{\"prompt\":\"\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = fx.post("/route", key.get("key"), "{\"prompt\":\"hi\",\"tiergate\":{\"speed\":1}}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("tiergate.speed");
        HttpResponse<String> impossible = fx.post("/route", key.get("key"), "{\"prompt\":\"hi\",\"tiergate\":{\"task\":\"vision\"}}");
        assertThat(impossible.statusCode()).isEqualTo(400);
        assertThat(StackFixture.JSON.readTree(impossible.body()).at("/error/code").asText()).isEqualTo("constraint_unmet");
        assertThat(fx.post("/route", null, "{\"prompt\":\"hi\"}").statusCode()).isEqualTo(401);
    }

    @Test
    void chatCarriesTheDecisionInHeadersAndStripsConstraintsBeforeTheUpstream() throws Exception {
        int before = fx.usage("routing-team").size();
        HttpResponse<String> res = fx.post("/v1/chat/completions", key.get("key"),
                "{\"model\":\"auto\",\"tiergate\":{\"max_cost_usd\":1},\"messages\":[{\"role\":\"user\",\"content\":\"Summarize the plot of Hamlet.\"}]}");
        // The simulator, like vLLM, ignores unknown fields; a hosted API may not, hence the stripping.
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        assertThat(res.headers().firstValue("x-tiergate-tier")).contains("medium");
        assertThat(res.headers().firstValue("x-tiergate-complexity")).contains("medium");
        assertThat(res.headers().firstValue("x-tiergate-complexity-score")).isPresent();
        assertThat(res.headers().firstValue("x-tiergate-scorer")).hasValueSatisfying(v -> assertThat(v).isIn("heuristics", "heuristics+embedding"));
        assertThat(fx.usage("routing-team")).hasSize(before + 1);
    }
}
