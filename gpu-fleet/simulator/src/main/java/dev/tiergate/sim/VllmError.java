package dev.tiergate.sim;

import dev.tiergate.openai.ErrorResponse;

/** An error vLLM answers, in its current shape: {@code {"error":{"message","type","param","code"}}}. */
final class VllmError extends Exception {

    final int status;
    final String type;
    final String param;

    VllmError(int status, String type, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    static VllmError badRequest(String message, String param) {
        return new VllmError(400, "BadRequestError", message, param);
    }

    /** Schema failures carry the HTTP phrase as their type, as FastAPI's validation handler does. */
    static VllmError schema(String message) {
        return new VllmError(400, "Bad Request", message, null);
    }

    static VllmError notFound(String model) {
        return new VllmError(404, "NotFoundError", "The model `" + model + "` does not exist.", "model");
    }

    static VllmError forStatus(int status, String message) {
        String type = switch (status) {
            case 400 -> "BadRequestError";
            case 404 -> "NotFoundError";
            case 501 -> "NotImplementedError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "Bad Request";
        };
        return new VllmError(status, type, message, null);
    }

    ErrorResponse body() {
        return ErrorResponse.of(getMessage(), type, param, status);
    }
}
