package dev.tiergate.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every chat-completion test again, with the example's tiers served by SageMaker endpoints: the gateway reaches them
 * through the SDK's SageMaker Runtime client (SigV4, the response stream's event framing) and the stand-in hands each
 * call to the tier's simulated container, so what differs from the HTTP run is exactly the deployed path.
 */
class SageMakerChatCompletionsEndToEndTest extends ChatCompletionsEndToEndTest {

    /** Hides the HTTP run's start, so JUnit runs this one instead. */
    @BeforeAll
    static void start() throws Exception {
        startOn(new StackFixture(StackFixture.exampleOnSageMaker(), 0.25));
    }

    @Test
    void everyAnswerWentThroughSageMakerRuntime() {
        long before = fx.stack.sageMakerRuntime().orElseThrow().calls();
        client.chat().completions().create(com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
                .model("medium").addUserMessage("hi").build());
        assertThat(fx.stack.sageMakerRuntime().orElseThrow().calls()).isEqualTo(before + 1);
        assertThat(fx.stack.fleet().replicas().get("medium").getFirst().received()).isPositive();
    }
}
