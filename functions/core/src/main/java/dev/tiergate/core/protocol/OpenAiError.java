package dev.tiergate.core.protocol;

import dev.tiergate.openai.ErrorResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * An error in the OpenAI shape, {@code {"error":{"message","type","param","code"}}}, with the HTTP status it goes out
 * with. OpenAI SDKs read {@code type} and {@code code}; tiergate's own codes are stable strings scripts can match.
 */
public record OpenAiError(int status, String type, String message, Optional<String> param, Optional<String> code,
                          Optional<Long> retryAfterSeconds) {

    public OpenAiError(int status, String type, String message, Optional<String> param, Optional<String> code) {
        this(status, type, message, param, code, Optional.empty());
    }

    /** The same error, telling the client when to retry ({@code Retry-After}). */
    public OpenAiError retryAfter(long seconds) {
        return new OpenAiError(status, type, message, param, code, Optional.of(Math.max(1, seconds)));
    }

    public static OpenAiError invalidRequest(String message, String param) {
        return new OpenAiError(400, "invalid_request_error", message, Optional.ofNullable(param), Optional.of("invalid_request"));
    }

    public static OpenAiError invalidJson(String detail) {
        return new OpenAiError(400, "invalid_request_error",
                "The request body is not valid JSON: " + detail, Optional.empty(), Optional.of("invalid_json"));
    }

    public static OpenAiError missingKey() {
        return new OpenAiError(401, "invalid_request_error", "You didn't provide an API key. Send it in the "
                + "Authorization header as 'Bearer YOUR_KEY'.", Optional.empty(), Optional.of("missing_api_key"));
    }

    public static OpenAiError invalidKey() {
        return new OpenAiError(401, "invalid_request_error", "Incorrect API key provided.", Optional.empty(),
                Optional.of("invalid_api_key"));
    }

    public static OpenAiError forbidden(String message) {
        return new OpenAiError(403, "permission_error", message, Optional.empty(), Optional.of("forbidden"));
    }

    public static OpenAiError modelNotFound(String model) {
        return new OpenAiError(404, "invalid_request_error", "The model `" + model + "` does not exist. GET /v1/models "
                + "lists 'auto' and the tiers.", Optional.of("model"), Optional.of("model_not_found"));
    }

    public static OpenAiError notFound(String what) {
        return new OpenAiError(404, "invalid_request_error", what, Optional.empty(), Optional.of("not_found"));
    }

    /** Spend reads in a deployment that keeps no usage records ({@code usage.record: false}). */
    public static OpenAiError usageRecordsOff() {
        return new OpenAiError(409, "invalid_request_error", "This deployment keeps no usage records (usage.record: false "
                + "in tiergate.yaml), so there is no usage or cost report to read. Its metrics still count tokens and cost.",
                Optional.empty(), Optional.of("usage_records_off"));
    }

    public static OpenAiError methodNotAllowed(String method, String path) {
        return new OpenAiError(405, "invalid_request_error", "Method " + method + " is not allowed on " + path + ".",
                Optional.empty(), Optional.of("method_not_allowed"));
    }

    public static OpenAiError tooLarge(long limit) {
        return new OpenAiError(413, "invalid_request_error", "The request body is larger than the limit of " + limit
                + " bytes.", Optional.empty(), Optional.of("request_too_large"));
    }

    public static OpenAiError unsupportedMediaType() {
        return new OpenAiError(415, "invalid_request_error", "Send the request body as application/json.",
                Optional.empty(), Optional.of("unsupported_media_type"));
    }

    public static OpenAiError upstream(int status, String message) {
        return new OpenAiError(status, "server_error", message, Optional.empty(), Optional.of("upstream_error"));
    }

    public static OpenAiError internal(String message) {
        return new OpenAiError(500, "server_error", message, Optional.empty(), Optional.of("internal_error"));
    }

    /** The body the client gets. */
    public ErrorResponse body() {
        return ErrorResponse.of(message, type, param.orElse(null), code.orElse(null));
    }

    public ObjectNode toJson(ObjectMapper json) {
        return json.valueToTree(body());
    }

    /** Thrown inside the request path and turned into this error's response at its edge. */
    public static final class Failure extends RuntimeException {
        private final OpenAiError error;

        public Failure(OpenAiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        public OpenAiError error() {
            return error;
        }
    }

    public Failure failure() {
        return new Failure(this);
    }
}
