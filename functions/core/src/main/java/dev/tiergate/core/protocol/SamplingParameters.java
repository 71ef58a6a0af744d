package dev.tiergate.core.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The sampling parameters of a chat request, checked against OpenAI's documented types and ranges before anything is
 * dispatched: a value the upstream would refuse, or worse read differently, is a 400 naming the field. {@code null}
 * means "not set", as OpenAI takes it.
 */
final class SamplingParameters {

    private SamplingParameters() {
    }

    static void validate(JsonNode body) {
        validate(body, false);
    }

    /** @param legacyCompletion a {@code /v1/completions} body, whose {@code logprobs} is a count (0 to 20), not a switch */
    static void validate(JsonNode body, boolean legacyCompletion) {
        number(body, "temperature", 0, 2);
        number(body, "top_p", 0, 1);
        number(body, "presence_penalty", -2, 2);
        number(body, "frequency_penalty", -2, 2);
        JsonNode seed = present(body, "seed");
        if (seed != null && (!seed.isIntegralNumber() || !seed.canConvertToLong())) {
            throw OpenAiError.invalidRequest("'seed' must be a whole number.", "seed").failure();
        }
        JsonNode logprobs = present(body, "logprobs");
        if (legacyCompletion) {
            if (logprobs != null && (!logprobs.isIntegralNumber() || !logprobs.canConvertToInt() || logprobs.asInt() < 0 || logprobs.asInt() > 20)) {
                throw OpenAiError.invalidRequest("'logprobs' must be a whole number from 0 to 20.", "logprobs").failure();
            }
            logprobs = null;
        } else if (logprobs != null && !logprobs.isBoolean()) {
            throw OpenAiError.invalidRequest("'logprobs' must be true or false.", "logprobs").failure();
        }
        JsonNode top = legacyCompletion ? null : present(body, "top_logprobs");
        if (top != null) {
            if (!top.isIntegralNumber() || !top.canConvertToInt() || top.asInt() < 0 || top.asInt() > 20) {
                throw OpenAiError.invalidRequest("'top_logprobs' must be a whole number from 0 to 20.", "top_logprobs").failure();
            }
            if (logprobs == null || !logprobs.asBoolean()) {
                throw OpenAiError.invalidRequest("'top_logprobs' needs 'logprobs' set to true.", "top_logprobs").failure();
            }
        }
        JsonNode stop = present(body, "stop");
        if (stop != null && !stop.isTextual()) {
            boolean strings = stop.isArray() && stop.size() <= 4;
            if (strings) for (JsonNode s : stop) strings &= s.isTextual();
            if (!strings) throw OpenAiError.invalidRequest("'stop' must be a string or an array of at most 4 strings.", "stop").failure();
        }
        JsonNode bias = present(body, "logit_bias");
        if (bias != null) {
            boolean ok = bias.isObject();
            if (ok) for (JsonNode v : bias) ok &= v.isNumber() && v.asDouble() >= -100 && v.asDouble() <= 100;
            if (!ok) throw OpenAiError.invalidRequest("'logit_bias' must map token ids to numbers from -100 to 100.", "logit_bias").failure();
        }
        JsonNode user = present(body, "user");
        if (user != null && !user.isTextual()) throw OpenAiError.invalidRequest("'user' must be a string.", "user").failure();
    }

    private static void number(JsonNode body, String field, double min, double max) {
        JsonNode v = present(body, field);
        if (v == null) return;
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            throw OpenAiError.invalidRequest("'" + field + "' must be a number from " + plain(min) + " to " + plain(max)
                    + ", got " + abbreviated(v) + ".", field).failure();
        }
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String abbreviated(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }
}
