package dev.tiergate.e2e;

import dev.tiergate.core.config.ConfigLoader;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fault again with the tiers on SageMaker: the two simulated replicas of a tier are the two instances behind
 * its endpoint, SageMaker Runtime's stand-in relays their refusals as {@code ModelError}s and a stream they break as a
 * {@code ModelStreamError} event, and the gateway must answer, fall back, charge and record exactly as over HTTP.
 */
class SageMakerFaultsEndToEndTest extends FaultsEndToEndTest {

    @Override
    TiergateConfig config() {
        String yaml = YAML.replace("fleet: {instance_type: g5.xlarge", "fleet: {kind: sagemaker, image: " + StackFixture.SAGEMAKER_IMAGE
                + ", instance_type: ml.g5.xlarge");
        assertThat(yaml).contains("kind: sagemaker");
        return ConfigLoader.parse(yaml, "faults on sagemaker.yaml");
    }

    /**
     * The gateway sees one endpoint, not the instance behind it, so it cannot keep away from a dead one (SageMaker's
     * own health checks do, in minutes): every request is still answered, by the tier or by its fallback after
     * retries, and the money is exact.
     */
    @Override
    @Test
    void aDeadReplicaIsRetriedAroundAndThenLeftAlone() throws Exception {
        SimulatedReplica dead = replicas("small").get(0);
        fault(dead, Map.of("reset_rate", 1));
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = fx.post("/v1/chat/completions", key, "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            // Half the endpoint's calls land on the dead instance, so the tier's breaker may open (its threshold is
            // 50%): an answer is then the fallback's, and says so.
            String tier = r.headers().firstValue("x-tiergate-tier").orElseThrow();
            assertThat(tier).isIn("small", "medium");
            if (tier.equals("medium")) assertThat(r.headers().firstValue("x-tiergate-fallback-from")).contains("small");
        }
        assertThat(dead.received()).isPositive();
        assertThat(fx.stack.sageMakerRuntime().orElseThrow().calls()).isGreaterThanOrEqualTo(30);
        ledgerEqualsUsage();
    }
}
