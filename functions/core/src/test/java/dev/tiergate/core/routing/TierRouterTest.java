package dev.tiergate.core.routing;

import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.gateway.Refusals;
import dev.tiergate.core.protocol.OpenAiError;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TierRouterTest {

    private static final String YAML = """
            tiers:
              - name: small
                model: m-small
                context_window: 4096
                latency_ms: 800
                capabilities: [chat]
                prices_per_million: {input: 0.1, output: 0.2}
                endpoint: http://127.0.0.1:9001
                variants:
                  - {model: m-small, weight: 90}
                  - {model: m-small-v2, weight: 10}
              - name: medium
                model: m-medium
                context_window: 16384
                latency_ms: 2000
                capabilities: [chat, code]
                prices_per_million: {input: 0.5, output: 1.0}
                endpoint: http://127.0.0.1:9002
              - name: large
                model: m-large
                context_window: 65536
                latency_ms: 5000
                capabilities: [chat, code, reasoning]
                prices_per_million: {input: 2, output: 4}
                endpoint: http://127.0.0.1:9003
            routing:
              embedding: {enabled: false}
            teams:
              interns: {allowed_tiers: [small]}
            """;

    private final TiergateConfig config = ConfigLoader.parse(YAML, "t.yaml");
    private final TierRouter router = router(config);

    private static TierRouter router(TiergateConfig c) {
        return new TierRouter(c, new ComplexityClassifier(c.routing(), new HeuristicScorer(), RouterModelFile.shipped(), Optional.empty(), Optional.empty()));
    }

    private static RoutingRequest req(String model, String prompt, int tokens, Optional<Integer> max, RouteConstraints c) {
        return new RoutingRequest(model, prompt, tokens, max, c, List.of(), List.of(), "team", "ana", Optional.empty());
    }

    private static RouteConstraints constraints(String task, Long latency, String cost, Integer context) {
        return new RouteConstraints(Optional.ofNullable(task), Optional.ofNullable(latency),
                Optional.ofNullable(cost).map(BigDecimal::new), Optional.ofNullable(context));
    }

    /** What the client reads when routing refuses {@code r}: routing says why, the gateway says it in OpenAI's shape. */
    private OpenAiError refusal(RoutingRequest r) {
        RouteResult result = router.decide(r);
        assertThat(result).isInstanceOf(RouteRefusal.class);
        assertThatThrownBy(() -> router.route(r)).isInstanceOfSatisfying(Unroutable.class, u -> assertThat(u.reason()).isEqualTo(result));
        return Refusals.of((RouteRefusal) result);
    }

    @Test
    void autoSendsEachClassToItsTier() {
        assertThat(router.route(req("auto", "Who wrote Hamlet?", 10, Optional.empty(), RouteConstraints.NONE)).tier().name()).isEqualTo("small");
        assertThat(router.route(req("auto", "Summarize the causes of the First World War.", 12, Optional.empty(), RouteConstraints.NONE)).tier().name()).isEqualTo("medium");
        RouteDecision d = router.route(req("auto", "Write a Python function that parses CSV files.", 12, Optional.empty(), RouteConstraints.NONE));
        assertThat(d.tier().name()).isEqualTo("large");
        assertThat(d.complexity()).contains(ComplexityClass.COMPLEX);
    }

    @Test
    void aPromptThatDoesNotFitIsNeverSentToTheTier() {
        RouteDecision d = router.route(req("auto", "Who wrote Hamlet?", 5000, Optional.empty(), RouteConstraints.NONE));
        assertThat(d.tier().name()).isEqualTo("medium");
        assertThat(d.reasons()).contains("policy:moved_up_from_small");
        assertThat(refusal(req("small", "hi", 4000, Optional.of(200), RouteConstraints.NONE))).satisfies(f -> {
                    assertThat(f.status()).isEqualTo(400);
                    assertThat(f.code()).contains("context_length_exceeded");
                    assertThat(f.message()).contains("4000 tokens", "200", "4096");
                });
        assertThat(refusal(req("auto", "hi", 70000, Optional.empty(), RouteConstraints.NONE))).satisfies(f -> assertThat(f.code()).contains("context_length_exceeded"));
    }

    @Test
    void constraintsPickTheCheapestTierThatMeetsThemAll() {
        assertThat(router.route(req("auto", "Who wrote Hamlet?", 10, Optional.empty(), constraints("code", null, null, null))).tier().name()).isEqualTo("medium");
        assertThat(router.route(req("auto", "Who wrote Hamlet?", 10, Optional.empty(), constraints(null, null, null, 20000))).tier().name()).isEqualTo("large");
        // A complex prompt capped at 3 s of latency goes to the most capable tier that is fast enough.
        RouteDecision fast = router.route(req("auto", "Implement a trie in Go.", 10, Optional.empty(), constraints(null, 3000L, null, null)));
        assertThat(fast.tier().name()).isEqualTo("medium");
        assertThat(fast.reasons()).contains("policy:below_class_tier");
        // Worst case on large: 1000 * 2 + 1024 * 4 per million = $0.006096; on medium $0.001524.
        assertThat(router.route(req("auto", "Implement a trie in Go.", 1000, Optional.empty(), constraints(null, null, "0.002", null))).tier().name()).isEqualTo("medium");
    }

    @Test
    void unmeetableConstraintsAre400NamingThem() {
        assertThat(refusal(req("auto", "Who wrote Hamlet?", 10, Optional.empty(), constraints("vision", null, null, null)))).satisfies(f -> {
                    assertThat(f.status()).isEqualTo(400);
                    assertThat(f.code()).contains("constraint_unmet");
                    assertThat(f.message()).contains("task 'vision'");
                });
        assertThat(refusal(req("auto", "hi", 10, Optional.empty(), constraints(null, 100L, null, null)))).satisfies(f -> assertThat(f.message()).contains("max_latency_ms 100"));
        assertThat(refusal(req("large", "hi", 10, Optional.empty(), constraints(null, null, "0.000001", null)))).satisfies(f -> assertThat(f.message()).contains("max_cost_usd"));
    }

    @Test
    void allowListsOfKeysAndTeamsAreEnforced() {
        RoutingRequest interns = new RoutingRequest("large", "hi", 10, Optional.empty(), RouteConstraints.NONE, List.of(),
                config.teamAllowedTiers("interns"), "interns", "bo", Optional.empty());
        assertThat(refusal(interns)).satisfies(f -> assertThat(f.status()).isEqualTo(403));
        RoutingRequest autoIntern = new RoutingRequest("auto", "Implement a trie in Go.", 10, Optional.empty(), RouteConstraints.NONE,
                List.of(), config.teamAllowedTiers("interns"), "interns", "bo", Optional.empty());
        assertThat(router.route(autoIntern).tier().name()).isEqualTo("small");
        RoutingRequest keyOnlyMedium = new RoutingRequest("small", "hi", 10, Optional.empty(), RouteConstraints.NONE, List.of("medium"),
                List.of(), "team", "bo", Optional.empty());
        assertThat(refusal(keyOnlyMedium)).satisfies(f -> assertThat(f.message()).contains("may use [medium]"));
    }

    @Test
    void aBudgetCeilingCapsTheTier() {
        RouteDecision d = router.route(req("auto", "Implement a trie in Go.", 10, Optional.empty(), RouteConstraints.NONE).withCeiling("medium"));
        assertThat(d.tier().name()).isEqualTo("medium");
        assertThat(d.reasons()).contains("budget:ceiling_medium");
    }

    @Test
    void namedTierAndModelAndUnknownModel() {
        assertThat(router.route(req("medium", "hi", 10, Optional.empty(), RouteConstraints.NONE)).tier().name()).isEqualTo("medium");
        RouteDecision v2 = router.route(req("m-small-v2", "hi", 10, Optional.empty(), RouteConstraints.NONE));
        assertThat(v2.tier().name()).isEqualTo("small");
        assertThat(v2.model()).isEqualTo("m-small-v2");
        assertThat(refusal(req("gpt-9", "hi", 10, Optional.empty(), RouteConstraints.NONE))).satisfies(f -> assertThat(f.status()).isEqualTo(404));
    }

    @Test
    void abVariantsSplitByWeightAndStickToAUser() {
        Map<String, Integer> counts = new HashMap<>();
        for (int u = 0; u < 2000; u++) {
            RoutingRequest r = new RoutingRequest("small", "hi", 10, Optional.empty(), RouteConstraints.NONE, List.of(), List.of(), "t", "user-" + u, Optional.empty());
            String first = router.route(r).model();
            assertThat(router.route(r).model()).isEqualTo(first);
            counts.merge(first, 1, Integer::sum);
        }
        assertThat(counts.get("m-small-v2")).isBetween(140, 260);
        assertThat(counts.get("m-small")).isBetween(1740, 1860);
    }

    @Test
    void shadowModeServesFromItsTierAndReportsTheDecision() {
        TiergateConfig shadow = ConfigLoader.parse(YAML.replace("routing:\n  embedding: {enabled: false}",
                "routing:\n  embedding: {enabled: false}\n  shadow: {serve_tier: large, teams: [team]}"), "t.yaml");
        RouteDecision d = router(shadow).route(req("auto", "Who wrote Hamlet?", 10, Optional.empty(), RouteConstraints.NONE));
        assertThat(d.tier().name()).isEqualTo("large");
        assertThat(d.shadowOf()).map(t -> t.name()).contains("small");
        assertThat(d.reasons()).contains("shadow:would_route_small");
        RoutingRequest other = new RoutingRequest("auto", "Who wrote Hamlet?", 10, Optional.empty(), RouteConstraints.NONE, List.of(), List.of(), "other", "x", Optional.empty());
        assertThat(router(shadow).route(other).tier().name()).isEqualTo("small");
    }
}
