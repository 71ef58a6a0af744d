package dev.tiergate.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.Optional;

/**
 * Tokens one request used, as OpenAI and vLLM report them: completion tokens are summed over the {@code n} choices.
 * {@code prompt_tokens_details} is null unless the server counted cached prompt tokens (vLLM leaves the null out of
 * stream chunks; clients read the two alike).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record Usage(int promptTokens, int completionTokens, int totalTokens,
                    @JsonInclude(JsonInclude.Include.ALWAYS) PromptTokensDetails promptTokensDetails) {

    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens, null);
    }

    public static Usage of(int promptTokens, int completionTokens, int cachedTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens,
                cachedTokens > 0 ? new PromptTokensDetails(cachedTokens) : null);
    }

    public static final Usage NONE = of(0, 0);

    public int cachedTokens() {
        return promptTokensDetails == null ? 0 : promptTokensDetails.cachedTokens();
    }

    public Optional<PromptTokensDetails> details() {
        return Optional.ofNullable(promptTokensDetails);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PromptTokensDetails(int cachedTokens) {}
}
