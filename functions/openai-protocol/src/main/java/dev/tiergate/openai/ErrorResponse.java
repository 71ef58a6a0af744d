package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An error body, {@code {"error": {"message", "type", "param", "code"}}}. OpenAI's {@code code} is a string such as
 * {@code "context_length_exceeded"}; vLLM's is the HTTP status as a number. Both are written as given.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ErrorResponse(Detail error) {

    public static ErrorResponse of(String message, String type, String param, String code) {
        return new ErrorResponse(new Detail(message, type, param, code));
    }

    /** vLLM's shape: the status as the code. */
    public static ErrorResponse of(String message, String type, String param, int status) {
        return new ErrorResponse(new Detail(message, type, param, status));
    }

    /** @param code a {@link String} or an {@link Integer}; null when there is none */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Detail(String message, String type, String param, Object code) {
        public Detail {
            if (code != null && !(code instanceof String) && !(code instanceof Integer)) {
                throw new IllegalArgumentException("an error code is a string or an integer, not " + code.getClass().getSimpleName());
            }
        }
    }
}
