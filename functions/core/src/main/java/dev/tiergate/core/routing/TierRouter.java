package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.protocol.OpenAiError;

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

    public RouteDecision route(RoutingRequest r) {
        long start = System.nanoTime();
        List<String> reasons = new ArrayList<>();
        if (!AUTO.equals(r.model())) return named(r, reasons, start);

        Classification c = classifier.classify(r.classifyText());
        reasons.addAll(c.reasons());
        TierConfig target = config.tierNamed(config.routing().classTiers().get(c.complexity().wire()));
        List<TierConfig> candidates = new ArrayList<>();
        for (TierConfig t : config.tiers()) if (allowed(r, t)) candidates.add(t);
        if (candidates.isEmpty()) throw OpenAiError.forbidden("This key and its team may use no tier.").failure();
        Map<TierConfig, List<String>> failures = new LinkedHashMap<>();
        List<TierConfig> eligible = new ArrayList<>();
        for (TierConfig t : candidates) {
            List<String> f = unmet(r, t);
            if (f.isEmpty()) eligible.add(t);
            else failures.put(t, f);
        }
        if (eligible.isEmpty()) throw unmetError(failures);
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

    private RouteDecision named(RoutingRequest r, List<String> reasons, long start) {
        TierConfig requested = config.tier(r.model()).orElseThrow(() -> OpenAiError.modelNotFound(r.model()).failure());
        TierConfig t = requested;
        if (r.ceiling().isPresent() && t.index() > config.tierNamed(r.ceiling().get()).index()) {
            // The budget's downgrade hook caps even a named tier.
            t = config.tierNamed(r.ceiling().get());
            reasons.add("budget:ceiling_" + t.name());
        }
        if (!allowed(r, t)) {
            throw OpenAiError.forbidden("This key may not use tier '" + t.name() + "'" + allowedList(r) + ".").failure();
        }
        reasons.add("requested:" + r.model());
        if (!fits(r, t)) throw contextError(r, t);
        List<String> unmet = unmet(r, t);
        if (!unmet.isEmpty()) {
            throw new OpenAiError(400, "invalid_request_error", "Tier '" + t.name() + "' does not meet: " + String.join("; ", unmet) + ".",
                    Optional.of("tiergate"), Optional.of("constraint_unmet")).failure();
        }
        String model = t == requested && t.serves(r.model()) && !t.model().equals(r.model()) ? r.model() : variant(t, r.user(), reasons);
        return new RouteDecision(t, model, Optional.empty(), Optional.empty(), reasons, (System.nanoTime() - start) / 1000);
    }

    private static boolean allowed(RoutingRequest r, TierConfig t) {
        return (r.keyAllowed().isEmpty() || r.keyAllowed().contains(t.name()))
                && (r.teamAllowed().isEmpty() || r.teamAllowed().contains(t.name()));
    }

    private String allowedList(RoutingRequest r) {
        List<String> ok = config.tiers().stream().filter(t -> allowed(r, t)).map(TierConfig::name).toList();
        return ok.isEmpty() ? "; it may use none" : "; it may use " + ok;
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

    private OpenAiError.Failure unmetError(Map<TierConfig, List<String>> failures) {
        StringBuilder sb = new StringBuilder("No tier meets this request's constraints: ");
        List<String> parts = new ArrayList<>();
        failures.forEach((t, f) -> parts.add(t.name() + " fails " + String.join(", ", f)));
        sb.append(String.join("; ", parts)).append('.');
        boolean context = failures.values().stream().allMatch(f -> f.stream().anyMatch(s -> s.startsWith("context window")));
        return new OpenAiError(400, "invalid_request_error", sb.toString(), Optional.of(context ? "messages" : "tiergate"),
                Optional.of(context ? "context_length_exceeded" : "constraint_unmet")).failure();
    }

    private OpenAiError.Failure contextError(RoutingRequest r, TierConfig t) {
        return new OpenAiError(400, "invalid_request_error", "The prompt has " + r.promptTokens() + " tokens"
                + r.maxTokens().map(m -> " and asks for up to " + m + " more").orElse("") + ", which does not fit tier '" + t.name()
                + "' (context window " + t.contextWindow() + " tokens). Shorten the prompt, lower max_tokens, or use 'auto'.",
                Optional.of("messages"), Optional.of("context_length_exceeded")).failure();
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
