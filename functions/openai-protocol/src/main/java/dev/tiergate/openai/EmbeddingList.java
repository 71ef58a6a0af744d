package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/** The answer of {@code POST /v1/embeddings}: one vector per input, in input order, and the input's tokens as usage. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "object", "created", "model", "data", "usage"})
public record EmbeddingList(String id, long created, String model, List<Embedding> data, Usage usage) {

    public EmbeddingList {
        data = List.copyOf(data);
    }

    @JsonProperty
    public String object() {
        return "list";
    }

    /**
     * One vector: a list of floats, or with {@code encoding_format: base64} the little-endian float32 bytes in base64
     * (what OpenAI's SDKs ask for by default).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"index", "object", "embedding"})
    public record Embedding(int index, Object embedding) {

        public Embedding {
            if (!(embedding instanceof List<?>) && !(embedding instanceof String)) {
                throw new IllegalArgumentException("an embedding is a list of floats or a base64 string");
            }
        }

        public static Embedding floats(int index, List<Double> vector) {
            return new Embedding(index, List.copyOf(vector));
        }

        public static Embedding base64(int index, List<Double> vector) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * vector.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (double x : vector) b.putFloat((float) x);
            return new Embedding(index, java.util.Base64.getEncoder().encodeToString(b.array()));
        }

        @JsonProperty
        public String object() {
            return "embedding";
        }
    }
}
