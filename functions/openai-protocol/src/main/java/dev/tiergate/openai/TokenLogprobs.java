package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * A chat choice's {@code logprobs}, as vLLM and OpenAI write it: one entry per generated token (in a stream chunk, the
 * tokens of that chunk), each with its {@code top_logprobs} alternatives when the request asked for them.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenLogprobs(List<Token> content) {

    public TokenLogprobs {
        content = copy(content);
    }

    /** A generated token: its text, its log probability, its UTF-8 bytes, and the likeliest tokens in its place. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"token", "logprob", "bytes", "top_logprobs"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Token(String token, double logprob, List<Integer> bytes, List<Top> topLogprobs) {
        public Token {
            bytes = TokenLogprobs.copy(bytes);
            topLogprobs = TokenLogprobs.copy(topLogprobs);
        }
    }

    /** One of the likeliest tokens at a position. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"token", "logprob", "bytes"})
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Top(String token, double logprob, List<Integer> bytes) {
        public Top {
            bytes = TokenLogprobs.copy(bytes);
        }
    }

    /** Upstream lists may be missing or hold nulls (vLLM writes a null log probability for an echoed first token). */
    static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(list));
    }
}
