package dev.tiergate.adapters.sagemaker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.sim.Faults;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SageMakerRuntimeStandIn;
import dev.tiergate.sim.SimulatedReplica;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SageMaker upstream through the real SDK client (SigV4, rest-json, event-stream decoding) against the SageMaker
 * Runtime stand-in, which fronts a simulated vLLM container as SageMaker fronts the real one.
 */
class SageMakerUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final URI CHAT = URI.create("sagemaker://tiergate-large/v1/chat/completions");
    private static final byte[] WHOLE = """
            {"model":"m","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":30}""".getBytes(StandardCharsets.UTF_8);
    private static final byte[] STREAM = """
            {"model":"m","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":30,"stream":true,
             "stream_options":{"include_usage":true}}""".getBytes(StandardCharsets.UTF_8);

    private static SimulatedReplica container(Faults faults) {
        return SimulatedReplica.start(ReplicaSettings.builder("m").timeScale(1).interTokenMicros(2_000)
                .prefillMicrosPerToken(0).outputTokens(30, 30).faults(faults).build());
    }

    private static SageMakerUpstream upstream(SageMakerRuntimeStandIn sm) {
        return new SageMakerUpstream(SageMakerUpstream.Access.standIn(sm.url()), Duration.ofSeconds(2), Clock.systemUTC());
    }

    private static List<String> readAll(Upstream.Stream s) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String l = s.nextLine(); l != null; l = s.nextLine()) lines.add(l);
        return lines;
    }

    @Test
    void aWholeAnswerAndAStreamComeBackAsTheContainerWroteThem() throws Exception {
        try (SimulatedReplica r = container(Faults.NONE);
             SageMakerRuntimeStandIn sm = SageMakerRuntimeStandIn.start(Map.of("tiergate-large", List.of(r.baseUrl())));
             SageMakerUpstream up = upstream(sm)) {
            Instant now = Instant.now();
            Upstream.Reply reply = up.send(CHAT, WHOLE, now.plusSeconds(10));
            assertThat(reply.status()).isEqualTo(200);
            JsonNode answer = JSON.readTree(reply.body());
            assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
            assertThat(answer.path("usage").path("completion_tokens").asInt()).isEqualTo(30);

            try (Upstream.Stream s = up.openStream(CHAT, STREAM, now.plusSeconds(5), now.plusSeconds(10))) {
                assertThat(s.status()).isEqualTo(200);
                List<String> lines = readAll(s);
                List<String> events = lines.stream().filter(l -> l.startsWith("data: ")).toList();
                assertThat(events.getLast()).isEqualTo("data: [DONE]");
                // Every SSE event came through whole, whatever the part boundaries were.
                for (String e : events.subList(0, events.size() - 1)) {
                    assertThat(JSON.readTree(e.substring(6)).path("object").asText()).isEqualTo("chat.completion.chunk");
                }
                JsonNode usage = JSON.readTree(events.get(events.size() - 2).substring(6)).path("usage");
                assertThat(usage.path("completion_tokens").asInt()).isEqualTo(30);
            }
            assertThat(sm.calls()).isEqualTo(2);
        }
    }

    @Test
    void theModelsOwnRefusalReachesTheClientWithItsStatusAndBody() throws Exception {
        try (SimulatedReplica r = container(Faults.NONE);
             SageMakerRuntimeStandIn sm = SageMakerRuntimeStandIn.start(Map.of("tiergate-large", List.of(r.baseUrl())));
             SageMakerUpstream up = upstream(sm)) {
            byte[] tooLong = """
                    {"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100000000}""".getBytes(StandardCharsets.UTF_8);
            Upstream.Reply reply = up.send(CHAT, tooLong, Instant.now().plusSeconds(10));
            assertThat(reply.status()).isEqualTo(400);
            assertThat(JSON.readTree(reply.body()).path("error").path("message").asText()).contains("max_tokens");
            try (Upstream.Stream s = up.openStream(CHAT, tooLong, Instant.now().plusSeconds(5), Instant.now().plusSeconds(10))) {
                assertThat(s.status()).isEqualTo(400);
                assertThat(new String(s.errorBody(), StandardCharsets.UTF_8)).contains("max_tokens");
            }
        }
    }

    @Test
    void sageMakersOwnFailuresMapToWhatTheDispatcherRetriesOrNot() throws Exception {
        try (SimulatedReplica r = container(new Faults(1.0, 503, 0, 0, 0, 0, 0, -1));
             SageMakerRuntimeStandIn sm = SageMakerRuntimeStandIn.start(Map.of("tiergate-large", List.of(r.baseUrl()),
                     "tiergate-gone", List.of(URI.create("http://127.0.0.1:1"))));
             SageMakerUpstream up = upstream(sm)) {
            Instant later = Instant.now().plusSeconds(10);
            // The container's 503 comes back as its own status, which the dispatcher retries.
            assertThat(up.send(CHAT, WHOLE, later).status()).isEqualTo(503);
            // An endpoint that does not exist is the deployment's fault: a tier failure, not the client's 4xx.
            assertThat(up.send(URI.create("sagemaker://tiergate-missing/v1/chat/completions"), WHOLE, later).status()).isEqualTo(500);
            // A container SageMaker cannot reach: ServiceUnavailable, retried.
            assertThat(up.send(URI.create("sagemaker://tiergate-gone/v1/chat/completions"), WHOLE, later).status()).isEqualTo(503);
            // Embeddings never reach SageMaker: vLLM's /invocations has no handler for them.
            Upstream.Reply emb = up.send(URI.create("sagemaker://tiergate-large/v1/embeddings"), "{\"input\":\"x\"}".getBytes(), later);
            assertThat(emb.status()).isEqualTo(400);
            assertThat(sm.calls()).isEqualTo(2);
        }
    }

    @Test
    void aStreamTheContainerBreaksMidAnswerThrowsAfterWhatArrived() throws Exception {
        try (SimulatedReplica r = container(new Faults(0, 500, 0, 0, 1.0, 0, 0, 5));
             SageMakerRuntimeStandIn sm = SageMakerRuntimeStandIn.start(Map.of("tiergate-large", List.of(r.baseUrl())));
             SageMakerUpstream up = upstream(sm)) {
            Instant now = Instant.now();
            try (Upstream.Stream s = up.openStream(CHAT, STREAM, now.plusSeconds(5), now.plusSeconds(10))) {
                assertThat(s.status()).isEqualTo(200);
                List<String> got = new ArrayList<>();
                assertThatThrownBy(() -> {
                    for (String l = s.nextLine(); l != null; l = s.nextLine()) got.add(l);
                }).isInstanceOf(IOException.class).hasMessageContaining("broke");
                assertThat(got.stream().filter(l -> l.startsWith("data: {")).count()).isBetween(1L, 6L);
                assertThat(got).doesNotContain("data: [DONE]");
            }
        }
    }

    @Test
    void theStandInRefusesWhatSageMakerRefuses() throws Exception {
        try (SimulatedReplica r = container(Faults.NONE);
             SageMakerRuntimeStandIn sm = SageMakerRuntimeStandIn.start(Map.of("tiergate-large", List.of(r.baseUrl())));
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(sm.url().resolve("/endpoints/tiergate-large/invocations"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(WHOLE)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unsigned.statusCode()).isEqualTo(403);
            assertThat(unsigned.headers().firstValue("x-amzn-ErrorType").orElseThrow()).startsWith("MissingAuthenticationTokenException");
            HttpResponse<String> forged = http.send(HttpRequest.newBuilder(sm.url().resolve("/endpoints/tiergate-large/invocations"))
                    .header("Authorization", "Bearer abc").header("X-Amz-Date", "20261207T000000Z")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(WHOLE)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(forged.statusCode()).isEqualTo(403);
            assertThat(sm.calls()).isZero();
            assertThat(r.received()).isZero();
        }
    }
}
