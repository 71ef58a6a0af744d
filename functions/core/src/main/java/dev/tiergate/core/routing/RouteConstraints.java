package dev.tiergate.core.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.core.protocol.OpenAiError;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.Set;

/**
 * What a client may demand of the tier, in a {@code "tiergate"} object of the body (removed before the request goes
 * upstream) or in headers ({@code x-tiergate-task}, {@code x-tiergate-max-latency-ms}, {@code x-tiergate-max-cost-usd},
 * {@code x-tiergate-min-context}); the body wins when both are given.
 *
 * @param task         a capability the tier must list (e.g. {@code code})
 * @param maxLatencyMs the tier's typical latency ({@code latency_ms}) must be at most this
 * @param maxCostUsd   the request's worst-case cost on the tier must be at most this
 * @param minContext   the tier's context window must be at least this many tokens
 */
public record RouteConstraints(Optional<String> task, Optional<Long> maxLatencyMs, Optional<BigDecimal> maxCostUsd,
                               Optional<Integer> minContext) {

    public static final RouteConstraints NONE = new RouteConstraints(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** The same limits for this task. */
    public RouteConstraints withTask(String task) {
        return new RouteConstraints(Optional.of(task), maxLatencyMs, maxCostUsd, minContext);
    }
    public static final String BODY_FIELD = "tiergate";
    private static final Set<String> FIELDS = Set.of("task", "max_latency_ms", "max_cost_usd", "min_context");

    /**
     * The constraints of a request: the body's {@code tiergate} object, else the {@code x-tiergate-*} headers.
     *
     * @param header a request header by its (case-insensitive) name
     */
    public static RouteConstraints from(JsonNode body, java.util.function.Function<String, Optional<String>> header) {
        JsonNode c = body.get(BODY_FIELD);
        if (c != null && !c.isNull() && !c.isObject()) {
            throw OpenAiError.invalidRequest("'tiergate' must be an object of routing constraints.", BODY_FIELD).failure();
        }
        if (c != null && c.isObject()) {
            c.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) throw OpenAiError.invalidRequest("Unknown routing constraint 'tiergate." + f + "'; known: " + FIELDS + ".", "tiergate." + f).failure();
            });
        }
        Optional<String> task = text(c, "task").or(() -> header.apply("x-tiergate-task"));
        Optional<Long> latency = number(c, "max_latency_ms", header.apply("x-tiergate-max-latency-ms")).map(BigDecimal::longValueExact);
        Optional<BigDecimal> cost = number(c, "max_cost_usd", header.apply("x-tiergate-max-cost-usd"));
        Optional<Integer> context = number(c, "min_context", header.apply("x-tiergate-min-context")).map(BigDecimal::intValueExact);
        return new RouteConstraints(task, latency, cost, context);
    }

    private static Optional<String> text(JsonNode c, String field) {
        if (c == null || !c.hasNonNull(field)) return Optional.empty();
        JsonNode v = c.get(field);
        if (!v.isTextual() || v.asText().isBlank()) throw OpenAiError.invalidRequest("'tiergate." + field + "' must be a string.", "tiergate." + field).failure();
        return Optional.of(v.asText());
    }

    private static Optional<BigDecimal> number(JsonNode c, String field, Optional<String> header) {
        String name = "tiergate." + field;
        try {
            BigDecimal v;
            if (c != null && c.hasNonNull(field)) {
                if (!c.get(field).isNumber()) throw new NumberFormatException();
                v = c.get(field).decimalValue();
            } else if (header.isPresent()) {
                v = new BigDecimal(header.get().trim());
            } else {
                return Optional.empty();
            }
            if (v.signum() <= 0) throw new NumberFormatException();
            if (!field.equals("max_cost_usd")) v.longValueExact();
            return Optional.of(v);
        } catch (NumberFormatException | ArithmeticException e) {
            throw OpenAiError.invalidRequest("'" + name + "' must be a positive " + (field.equals("max_cost_usd") ? "number" : "whole number") + ".", name).failure();
        }
    }
}
