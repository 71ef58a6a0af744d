package dev.tiergate.adapters.routing;

import dev.tiergate.adapters.fleet.StaticFleetRegistry;
import dev.tiergate.adapters.http.HttpUpstream;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Against a real simulated replica: the simulator answers words, not a rating, so the rating is left out. */
class LlmSelfAssessmentTest {

    @Test
    void anAnswerThatIsNotANumberIsLeftOut() {
        try (SimulatedReplica r = SimulatedReplica.start(ReplicaSettings.builder("router").timeScale(0).build());
             HttpUpstream upstream = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            LlmSelfAssessment s = new LlmSelfAssessment(upstream, new StaticFleetRegistry(Map.of("small", List.of(r.baseUrl()))), "small", "router");
            assertThat(s.rate("Explain entropy.", Duration.ofSeconds(2))).isEmpty();
            // The request did reach the model (so a real vLLM's "7" would have been used).
            assertThat(r.metrics().generationTokens()).isPositive();
        }
    }

    @Test
    void aLateRatingIsLeftOutInsteadOfDelayingTheRequest() {
        try (SimulatedReplica r = SimulatedReplica.start(ReplicaSettings.builder("router").timeScale(0)
                .faults(Faults.NONE.with(Map.of("hang_rate", 1))).build());
             HttpUpstream upstream = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            LlmSelfAssessment s = new LlmSelfAssessment(upstream, new StaticFleetRegistry(Map.of("small", List.of(r.baseUrl()))), "small", "router");
            assertThat(s.rate("Explain entropy.", Duration.ofMillis(150))).isEmpty();
        }
    }

    @Test
    void noReplicaMeansNoRating() {
        try (HttpUpstream upstream = new HttpUpstream(Duration.ofSeconds(1), Map.of())) {
            LlmSelfAssessment s = new LlmSelfAssessment(upstream, new StaticFleetRegistry(Map.of()), "small", "router");
            assertThat(s.rate("Explain entropy.", Duration.ofMillis(150))).isEmpty();
        }
    }
}
