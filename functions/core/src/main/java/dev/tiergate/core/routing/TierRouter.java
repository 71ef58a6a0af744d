package dev.tiergate.core.routing;

import dev.tiergate.core.protocol.Endpoint;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Chooses the tier and model of a request. {@code "auto"} is classified and sent to the cheapest tier that can do
 * the work and meets every constraint (allow-lists, context window, the client's task, latency and cost limits, a
 * budget ceiling); a named tier or model is honoured when the key and team may use it. Shadow mode serves from a
 * fixed tier and reports what routing would have chosen; A/B variants split a tier's traffic, sticky per user.
 */
public final class TierRouter {

    public static final String AUTO = "auto";
    /** Output tokens assumed for the cost constraint when the client sets no max_tokens. */
    public static final int ASSUMED_OUTPUT_TOKENS = 1024;
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    private final TiergateConfig config;
    private final ComplexityClassifier classifier;

    public TierRouter(TiergateConfig config, ComplexityClassifier classifier) {
        this.config = config;
        this.classifier = classifier;
    }

    public ComplexityClassifier classifier() {
        return classifier;
    }

    /** The tier for {@code r}; throws {@link Unroutable} when there is none. */
    public RouteDecision route(RoutingRequest r) {
        return switch (decide(r)) {
            case RouteDecision d -> d;
            case RouteRefusal refusal -> throw new Unroutable(refusal);
        };
    }

    /** The tier for {@code r}, or why there is none. */
    public RouteResult decide(RoutingRequest r) {
        long start = System.nanoTime();
        List<String> reasons = new ArrayList<>();
        if (!AUTO.equals(r.model())) return named(r, reasons, start);

        Classification c = classifier.classify(r.conversation());
        reasons.addAll(c.reasons());
        TierConfig target = config.tierNamed(config.routing().classTiers().get(c.complexity().wire()));
        List<TierConfig> candidates = new ArrayList<>();
        for (TierConfig t : config.tiers()) if (allowed(r, t)) candidates.add(t);
        if (candidates.isEmpty()) return new RouteRefusal.NoTierAllowed();
        Map<TierConfig, List<String>> failures = new LinkedHashMap<>();
        List<TierConfig> eligible = new ArrayList<>();
        for (TierConfig t : candidates) {
            List<String> f = unmet(r, t);
            if (f.isEmpty()) eligible.add(t);
            else failures.put(t, f);
        }
        if (eligible.isEmpty()) return noTierFits(failures);
        TierConfig chosen = eligible.stream().filter(t -> t.index() >= target.index()).findFirst().orElse(null);
        if (chosen == null) {
            chosen = eligible.getLast();
            reasons.add("policy:below_class_tier");
        } else if (chosen != target) {
            reasons.add("policy:moved_up_from_" + target.name());
        }
        if (r.ceiling().isPresent() && chosen != target && chosen.index() < target.index()) reasons.add("budget:ceiling_" + r.ceiling().get());

        Optional<TierConfig> shadowOf = Optional.empty();
        Optional<RoutingSettings.Shadow> shadow = config.routing().shadow();
        if (shadow.isPresent() && shadow.get().appliesTo(r.team())) {
            TierConfig serve = config.tierNamed(shadow.get().serveTier());
            if (allowed(r, serve) && unmet(r, serve).isEmpty()) {
                shadowOf = Optional.of(chosen);
                reasons.add("shadow:would_route_" + chosen.name());
                chosen = serve;
            } else {
                reasons.add("shadow:serve_tier_unfit");
            }
        }
        return new RouteDecision(chosen, variant(chosen, r.user(), reasons), Optional.of(c), shadowOf, reasons,
                (System.nanoTime() - start) / 1000);
    }

    private RouteResult named(RoutingRequest r, List<String> reasons, long start) {
        Optional<TierConfig> found = config.tier(r.model());
        if (found.isEmpty()) return new RouteRefusal.UnknownModel(r.model());
        TierConfig requested = found.get();
        TierConfig t = requested;
        if (r.ceiling().isPresent() && t.index() > config.tierNamed(r.ceiling().get()).index()) {
            // The budget's downgrade hook caps even a named tier.
            t = config.tierNamed(r.ceiling().get());
            reasons.add("budget:ceiling_" + t.name());
        }
        if (!allowed(r, t)) return new RouteRefusal.TierNotAllowed(t.name(), allowedTiers(r));
        reasons.add("requested:" + r.model());
        if (!fits(r, t)) return new RouteRefusal.PromptTooLong(t.name(), r.promptTokens(), r.maxTokens(), t.contextWindow());
        List<String> unmet = unmet(r, t);
        if (!unmet.isEmpty()) return new RouteRefusal.TierUnfit(t.name(), unmet);
        String model = t == requested && t.serves(r.model()) && !t.model().equals(r.model()) ? r.model() : variant(t, r.user(), reasons);
        return new RouteDecision(t, model, Optional.empty(), Optional.empty(), reasons, (System.nanoTime() - start) / 1000);
    }

    private static boolean allowed(RoutingRequest r, TierConfig t) {
        return (r.keyAllowed().isEmpty() || r.keyAllowed().contains(t.name()))
                && (r.teamAllowed().isEmpty() || r.teamAllowed().contains(t.name()));
    }

    private List<String> allowedTiers(RoutingRequest r) {
        return config.tiers().stream().filter(t -> allowed(r, t)).map(TierConfig::name).toList();
    }

    /** vLLM's rule: with max_tokens, prompt + max_tokens must fit; without, the prompt must leave room for one token. */
    private static boolean fits(RoutingRequest r, TierConfig t) {
        return r.maxTokens().map(m -> (long) r.promptTokens() + m <= t.contextWindow()).orElse(r.promptTokens() < t.contextWindow());
    }

    /** The constraints tier {@code t} fails, each named; empty when it meets them all. */
    List<String> unmet(RoutingRequest r, TierConfig t) {
        List<String> out = new ArrayList<>();
        if (r.ceiling().isPresent() && t.index() > config.tierNamed(r.ceiling().get()).index()) out.add("budget ceiling " + r.ceiling().get());
        if (!fits(r, t)) out.add("context window (" + r.promptTokens() + " prompt tokens" + r.maxTokens().map(m -> " + " + m + " max_tokens").orElse("")
                + " > " + t.contextWindow() + ")");
        RouteConstraints c = r.constraints();
        boolean embedding = c.task().filter(Endpoint.EMBEDDINGS_CAPABILITY::equals).isPresent();
        if (!embedding && !t.generates()) out.add("generation (the tier only embeds)");
        c.minContext().filter(m -> t.contextWindow() < m).ifPresent(m -> out.add("min_context " + m + " (tier has " + t.contextWindow() + ")"));
        c.task().filter(task -> !t.capabilities().contains(task)).ifPresent(task -> out.add("task '" + task + "' (tier offers " + t.capabilities() + ")"));
        c.maxLatencyMs().ifPresent(max -> {
            if (t.latencyMs().isEmpty()) out.add("max_latency_ms " + max + " (tier has no latency_ms)");
            else if (t.latencyMs().get() > max) out.add("max_latency_ms " + max + " (tier is " + t.latencyMs().get() + ")");
        });
        c.maxCostUsd().ifPresent(max -> {
            BigDecimal worst = worstCost(r, t);
            if (worst.compareTo(max) > 0) out.add("max_cost_usd " + max.toPlainString() + " (worst case " + worst.stripTrailingZeros().toPlainString() + ")");
        });
        return out;
    }

    /** The most the request can cost on the tier: all prompt tokens uncached, all max_tokens produced by every choice. */
    public static BigDecimal worstCost(RoutingRequest r, TierConfig t) {
        long out = (long) r.choices() * r.maxTokens().orElse(ASSUMED_OUTPUT_TOKENS);
        return t.prices().inputPerMillion().multiply(BigDecimal.valueOf(r.promptTokens()))
                .add(t.prices().outputPerMillion().multiply(BigDecimal.valueOf(out))).divide(MILLION);
    }

    private static RouteRefusal noTierFits(Map<TierConfig, List<String>> failures) {
        Map<String, List<String>> unmet = new LinkedHashMap<>();
        failures.forEach((t, f) -> unmet.put(t.name(), List.copyOf(f)));
        boolean context = failures.values().stream().allMatch(f -> f.stream().anyMatch(s -> s.startsWith("context window")));
        return new RouteRefusal.NoTierFits(unmet, context);
    }

    /** The A/B variant for this user: a stable hash of user and tier picks a bucket from 0 to 99. */
    static String variant(TierConfig t, String user, List<String> reasons) {
        if (t.variants().isEmpty()) return t.model();
        CRC32 crc = new CRC32();
        crc.update((user + "\u0000" + t.name()).getBytes(StandardCharsets.UTF_8));
        long bucket = crc.getValue() % 100;
        int acc = 0;
        for (TierConfig.Variant v : t.variants()) {
            acc += v.weight();
            if (bucket < acc) {
                reasons.add("ab:" + v.model());
                return v.model();
            }
        }
        return t.variants().getLast().model();
    }
}
