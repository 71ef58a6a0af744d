package dev.tiergate.core.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Optional;

/**
 * A client's request body read as exactly one JSON value: trailing content ({@code {…} xyz}, {@code {…}{…}}) and
 * duplicate keys are refused, since a proxy, a log or another parser that reads the same bytes differently (first
 * key wins, first value only) would see another request than the gateway served.
 */
public final class JsonBody {

    private static final ObjectReader READER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build().reader();

    private JsonBody() {
    }

    /** The body's value; empty for an empty body; 400 {@code invalid_json} when it is not exactly one JSON value. */
    public static Optional<JsonNode> parse(byte[] body) {
        if (body.length == 0) return Optional.empty();
        try {
            JsonNode n = READER.readTree(body);
            if (n == null || n.isMissingNode()) throw OpenAiError.invalidJson("no JSON value").failure();
            return Optional.of(n);
        } catch (JsonProcessingException e) {
            throw OpenAiError.invalidJson(e.getOriginalMessage()).failure();
        } catch (IOException e) {
            throw OpenAiError.invalidJson(e.getMessage()).failure();
        }
    }
}
