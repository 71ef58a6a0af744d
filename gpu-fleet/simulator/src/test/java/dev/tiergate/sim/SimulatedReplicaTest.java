package dev.tiergate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatedReplicaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<SimulatedReplica> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(SimulatedReplica::close);
    }

    private SimulatedReplica start(ReplicaSettings.Builder b) {
        SimulatedReplica r = SimulatedReplica.start(b.timeScale(0).build());
        replicas.add(r);
        return r;
    }

    private HttpResponse<String> post(SimulatedReplica r, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(r.baseUrl().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(SimulatedReplica r, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(r.baseUrl().resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String content, String extra) {
        return "{\"model\":\"small\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                + "{\"role\":\"user\",\"content\":\"" + content + "\"}]" + extra + "}";
    }

    @Test
    void answersChatInVllmShapeWithRealTokenCounts() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        HttpResponse<String> res = post(r, "/v1/chat/completions", chat("What is a token?", ",\"max_tokens\":20"));
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("small");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
        String text = choice.at("/message/content").asText();
        PromptTokenizer tok = new PromptTokenizer();
        JsonNode usage = body.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(tok.count(text)).isBetween(1, 20);
        assertThat(usage.get("prompt_tokens").asInt())
                .isEqualTo(tok.encodeChat(JSON.readTree(chat("What is a token?", "")).get("messages")).length);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
        assertThat(usage.get("prompt_tokens_details").isNull()).isTrue();
    }

    @Test
    void anEmbeddingModelAnswersOneUnitVectorPerInputAndAGenerativeOneRefuses() throws Exception {
        SimulatedReplica embedder = start(ReplicaSettings.builder("embed").embeds(true));
        HttpResponse<String> res = post(embedder, "/v1/embeddings", "{\"model\":\"embed\",\"input\":[\"a red apple\",\"a red apple\",[1,2,3]]}");
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(res.body());
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("data")).hasSize(3);
        JsonNode first = body.at("/data/0/embedding");
        assertThat(first).hasSize(GenerationEndpoint.EMBEDDING_DIMENSIONS);
        double norm = 0;
        for (JsonNode x : first) norm += x.asDouble() * x.asDouble();
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(body.at("/data/1/embedding")).isEqualTo(first);
        assertThat(body.at("/data/2/index").asInt()).isEqualTo(2);
        int tokens = new PromptTokenizer().count("a red apple");
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(2 * tokens + 3);
        assertThat(body.at("/usage/completion_tokens").asInt()).isZero();

        HttpResponse<String> refused = post(start(ReplicaSettings.builder("small")), "/v1/embeddings", "{\"input\":\"hi\"}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).at("/error/message").asText()).isEqualTo("The model does not support Embeddings API");
        assertThat(post(embedder, "/v1/embeddings", "{\"input\":[{}]}").statusCode()).isEqualTo(400);
    }

    @Test
    void nChoicesCountThePromptOnceAsVllmDoes() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        JsonNode one = JSON.readTree(post(r, "/v1/chat/completions", chat("What is a token?", ",\"max_tokens\":8,\"seed\":3")).body());
        JsonNode four = JSON.readTree(post(r, "/v1/chat/completions", chat("What is a token?", ",\"max_tokens\":8,\"seed\":3,\"n\":4")).body());
        assertThat(four.get("choices")).hasSize(4);
        assertThat(four.at("/usage/prompt_tokens").asInt()).isEqualTo(one.at("/usage/prompt_tokens").asInt());
        assertThat(four.at("/usage/completion_tokens").asInt()).isGreaterThan(one.at("/usage/completion_tokens").asInt());
    }

    @Test
    void toolDefinitionsAndImagesArePromptTokens() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        String plain = "{\"model\":\"small\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}";
        String tools = "{\"model\":\"small\",\"max_tokens\":4,\"tool_choice\":\"none\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"The weather in a city\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}";
        String image = "{\"model\":\"small\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Weather?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]}";
        int p = JSON.readTree(post(r, "/v1/chat/completions", plain).body()).at("/usage/prompt_tokens").asInt();
        assertThat(JSON.readTree(post(r, "/v1/chat/completions", tools).body()).at("/usage/prompt_tokens").asInt()).isGreaterThan(p + 20);
        assertThat(JSON.readTree(post(r, "/v1/chat/completions", image).body()).at("/usage/prompt_tokens").asInt())
                .isEqualTo(p + PromptTokenizer.IMAGE_TOKENS);
    }

    @Test
    void sameSeedGivesTheSameAnswer() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        String a = JSON.readTree(post(r, "/v1/chat/completions", chat("hi", ",\"seed\":7")).body()).at("/choices/0/message/content").asText();
        String b = JSON.readTree(post(r, "/v1/chat/completions", chat("hi", ",\"seed\":7")).body()).at("/choices/0/message/content").asText();
        String c = JSON.readTree(post(r, "/v1/chat/completions", chat("hi", ",\"seed\":8")).body()).at("/choices/0/message/content").asText();
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void sharedPrefixIsReportedAsCachedTokensAndInMetrics() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        String system = "You are a meticulous assistant. ".repeat(20);
        String first = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"one\"}]}";
        String second = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"two\"}]}";
        JsonNode u1 = JSON.readTree(post(r, "/v1/chat/completions", first).body()).get("usage");
        JsonNode u2 = JSON.readTree(post(r, "/v1/chat/completions", second).body()).get("usage");
        assertThat(u1.get("prompt_tokens_details").isNull()).isTrue();
        int cached = u2.at("/prompt_tokens_details/cached_tokens").asInt();
        assertThat(cached).isPositive().isLessThan(u2.get("prompt_tokens").asInt());
        assertThat(cached % 16).isZero();
        String metrics = get(r, "/metrics").body();
        long queries = u1.get("prompt_tokens").asLong() + u2.get("prompt_tokens").asLong();
        assertThat(metrics).contains("vllm:prefix_cache_queries_total{model_name=\"small\",engine=\"0\"} " + queries + ".0");
        assertThat(metrics).contains("vllm:prefix_cache_hits_total{model_name=\"small\",engine=\"0\"} " + cached + ".0");
        assertThat(metrics).contains("vllm:request_success_total{model_name=\"small\",engine=\"0\",finished_reason=\"stop\"} 2.0");
    }

    @Test
    void streamsSseChunksInVllmOrderWithUsageWhenAsked() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        HttpResponse<Stream<String>> res = http.send(HttpRequest.newBuilder(r.baseUrl().resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat("hi", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")))
                .build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(res.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> events = res.body().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(events.getLast()).isEqualTo("[DONE]");
        assertThat(JSON.readTree(events.get(0)).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        JsonNode usageChunk = JSON.readTree(events.get(events.size() - 2));
        assertThat(usageChunk.get("choices")).isEmpty();
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String e : events.subList(1, events.size() - 2)) {
            JsonNode c = JSON.readTree(e).get("choices").get(0);
            text.append(c.at("/delta/content").asText());
            if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
        }
        assertThat(finish).isEqualTo("stop");
        assertThat(usageChunk.at("/usage/completion_tokens").asInt()).isEqualTo(new PromptTokenizer().count(text.toString()));
    }

    @Test
    void logprobsComeOnePerCountedTokenWithTheirAlternativesWholeAndStreamed() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        String ask = chat("What is a token?", ",\"max_tokens\":12,\"seed\":3,\"logprobs\":true,\"top_logprobs\":3");
        JsonNode whole = JSON.readTree(post(r, "/v1/chat/completions", ask).body());
        JsonNode content = whole.at("/choices/0/logprobs/content");
        StringBuilder joined = new StringBuilder();
        for (JsonNode t : content) {
            joined.append(t.get("token").asText());
            assertThat(t.get("logprob").asDouble()).isNegative();
            assertThat(t.get("bytes")).isNotEmpty();
            JsonNode top = t.get("top_logprobs");
            assertThat(top).hasSize(3);
            assertThat(top.get(0).get("token").asText()).isEqualTo(t.get("token").asText());
            assertThat(top.get(1).get("logprob").asDouble()).isLessThan(top.get(0).get("logprob").asDouble());
            assertThat(top.get(2).get("logprob").asDouble()).isLessThan(top.get(1).get("logprob").asDouble());
        }
        assertThat(joined.toString()).isEqualTo(whole.at("/choices/0/message/content").asText());
        assertThat(content.size()).isEqualTo(whole.at("/usage/completion_tokens").asInt());

        // Streamed, each chunk carries its own tokens: the same ones, in order.
        HttpResponse<Stream<String>> res = http.send(HttpRequest.newBuilder(r.baseUrl().resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ask.replace("\"seed\":3", "\"seed\":3,\"stream\":true"))).build(),
                HttpResponse.BodyHandlers.ofLines());
        List<JsonNode> streamed = new ArrayList<>();
        for (String e : res.body().filter(l -> l.startsWith("data: {")).map(l -> l.substring(6)).toList()) {
            JsonNode lp = JSON.readTree(e).at("/choices/0/logprobs/content");
            if (lp.isArray()) lp.forEach(streamed::add);
        }
        assertThat(streamed).isEqualTo(java.util.stream.StreamSupport.stream(content.spliterator(), false).toList());

        // Without logprobs asked, the field is null, as in vLLM.
        JsonNode plain = JSON.readTree(post(r, "/v1/chat/completions", chat("What is a token?", ",\"max_tokens\":5")).body());
        assertThat(plain.at("/choices/0/logprobs").isNull()).isTrue();
    }

    @Test
    void legacyCompletionsGiveParallelLogprobListsAndBadLogprobRequestsAreRefusedAsVllmDoes() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        JsonNode c = JSON.readTree(post(r, "/v1/completions", "{\"model\":\"small\",\"prompt\":\"Count:\",\"logprobs\":2}").body());
        JsonNode lp = c.at("/choices/0/logprobs");
        String text = c.at("/choices/0/text").asText();
        assertThat(lp.get("tokens").size()).isEqualTo(c.at("/usage/completion_tokens").asInt())
                .isEqualTo(lp.get("token_logprobs").size()).isEqualTo(lp.get("text_offset").size()).isEqualTo(lp.get("top_logprobs").size());
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < lp.get("tokens").size(); i++) {
            assertThat(lp.get("text_offset").get(i).asInt()).isEqualTo(joined.length());
            joined.append(lp.get("tokens").get(i).asText());
            assertThat(lp.get("top_logprobs").get(i).size()).isEqualTo(2);
        }
        assertThat(joined.toString()).isEqualTo(text);

        HttpResponse<String> noLogprobs = post(r, "/v1/chat/completions", chat("hi", ",\"top_logprobs\":2"));
        assertThat(noLogprobs.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(noLogprobs.body()).at("/error/message").asText()).contains("`logprobs` must be set to true");
        HttpResponse<String> tooMany = post(r, "/v1/chat/completions", chat("hi", ",\"logprobs\":true,\"top_logprobs\":21"));
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(tooMany.body()).at("/error/message").asText()).contains("greater than max allowed: 20");
        assertThat(post(r, "/v1/completions", "{\"model\":\"small\",\"prompt\":\"x\",\"logprobs\":-1}").statusCode()).isEqualTo(400);
    }

    @Test
    void streamWithoutIncludeUsageHasNoUsageChunk() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        String body = post(r, "/v1/chat/completions", chat("hi", ",\"stream\":true")).body();
        assertThat(body).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void completionsDefaultToSixteenTokensAndInvocationsPicksTheHandlerByBody() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").outputTokens(40, 40));
        JsonNode c = JSON.readTree(post(r, "/v1/completions", "{\"prompt\":\"Once upon a time\"}").body());
        assertThat(c.get("object").asText()).isEqualTo("text_completion");
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(16);
        assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        JsonNode inv = JSON.readTree(post(r, "/invocations", chat("hi", "")).body());
        assertThat(inv.get("object").asText()).isEqualTo("chat.completion");
        HttpResponse<String> none = post(r, "/invocations", "{\"foo\":1}");
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(none.body()).contains("Cannot find suitable handler for request");
    }

    @Test
    void answersVllmErrors() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").maxModelLen(64));
        HttpResponse<String> unknown = post(r, "/v1/chat/completions", chat("hi", "").replace("\"small\"", "\"big\""));
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode err = JSON.readTree(unknown.body()).get("error");
        assertThat(err.get("type").asText()).isEqualTo("NotFoundError");
        assertThat(err.get("message").asText()).isEqualTo("The model `big` does not exist.");
        assertThat(err.get("code").asInt()).isEqualTo(404);

        HttpResponse<String> tooLong = post(r, "/v1/chat/completions", chat("word ".repeat(100), ",\"max_tokens\":10"));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonNode e2 = JSON.readTree(tooLong.body()).get("error");
        assertThat(e2.get("message").asText()).startsWith("This model's maximum context length is 64 tokens.");
        assertThat(e2.get("param").asText()).isEqualTo("input_tokens");

        HttpResponse<String> so = post(r, "/v1/chat/completions", chat("hi", ",\"stream_options\":{\"include_usage\":true}"));
        assertThat(so.statusCode()).isEqualTo(400);
        assertThat(so.body()).contains("Stream options can only be defined when `stream=True`.");

        HttpResponse<String> text = http.send(HttpRequest.newBuilder(r.baseUrl().resolve("/v1/chat/completions"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hi")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(text.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(text.body()).at("/error/type").asText()).isEqualTo("Bad Request");
    }

    @Test
    void apiKeyGuardsOnlyV1Paths() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").apiKey("s3cret"));
        HttpResponse<String> res = post(r, "/v1/chat/completions", chat("hi", ""));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).isEqualTo("{\"error\":\"Unauthorized\"}");
        assertThat(get(r, "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void injectedErrorsAnswerTheConfiguredStatus() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        HttpResponse<String> set = post(r, "/admin/faults", "{\"error_rate\":1,\"error_status\":503}");
        assertThat(set.statusCode()).isEqualTo(200);
        HttpResponse<String> res = post(r, "/v1/chat/completions", chat("hi", ""));
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(res.body()).at("/error/code").asInt()).isEqualTo(503);
        post(r, "/admin/faults", "{\"error_rate\":0}");
        assertThat(post(r, "/v1/chat/completions", chat("hi", "")).statusCode()).isEqualTo(200);
    }

    @Test
    void rejectsUnknownOrOutOfRangeFaultFields() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        assertThat(post(r, "/admin/faults", "{\"eror_rate\":1}").body()).contains("unknown fault field 'eror_rate'");
        assertThat(post(r, "/admin/faults", "{\"error_rate\":2}").statusCode()).isEqualTo(400);
        assertThat(post(r, "/admin/faults", "{\"error_status\":200}").statusCode()).isEqualTo(400);
        assertThat(r.faults()).isEqualTo(Faults.NONE);
    }

    @Test
    void resetClosesTheConnectionWithoutAnAnswer() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").faults(Faults.NONE.with(java.util.Map.of("reset_rate", 1))));
        assertThatThrownBy(() -> post(r, "/v1/chat/completions", chat("hi", ""))).isInstanceOf(IOException.class);
    }

    @Test
    void hangNeverAnswers() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").faults(Faults.NONE.with(java.util.Map.of("hang_rate", 1))));
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(r.baseUrl().resolve("/v1/chat/completions"))
                .timeout(Duration.ofMillis(300)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat("hi", ""))).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void cutStreamEndsWithoutDone() throws Exception {
        // Real pacing (3 ms a token) so the client has consumed the first chunks before the cut half-way through;
        // at time-scale 0 the cut can reach the client before it hands over any line.
        SimulatedReplica r = SimulatedReplica.start(ReplicaSettings.builder("small").outputTokens(30, 30).interTokenMicros(3000)
                .timeScale(1).faults(Faults.NONE.with(java.util.Map.of("cut_stream_rate", 1))).build());
        replicas.add(r);
        List<String> seen = new ArrayList<>();
        assertThatThrownBy(() -> {
            HttpResponse<Stream<String>> res = http.send(HttpRequest.newBuilder(r.baseUrl().resolve("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat("hi", ",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofLines());
            res.body().forEach(seen::add);
        }).isInstanceOf(Exception.class);
        assertThat(seen).isNotEmpty().doesNotContain("data: [DONE]");
    }

    @Test
    void malformedChunkIsNotJson() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").outputTokens(30, 30)
                .faults(Faults.NONE.with(java.util.Map.of("malformed_rate", 1))));
        String body = post(r, "/v1/chat/completions", chat("hi", ",\"stream\":true")).body();
        long broken = body.lines().filter(l -> l.startsWith("data: {")).filter(l -> {
            try {
                JSON.readTree(l.substring(6));
                return false;
            } catch (IOException e) {
                return true;
            }
        }).count();
        assertThat(broken).isEqualTo(1);
        String whole = post(r, "/v1/chat/completions", chat("hi", "")).body();
        assertThatThrownBy(() -> JSON.readTree(whole)).isInstanceOf(IOException.class);
    }

    @Test
    void slowStartRefusesConnectionsUntilReady() throws Exception {
        SimulatedReplica r = SimulatedReplica.start(ReplicaSettings.builder("small").timeScale(0)
                .faults(Faults.NONE.with(java.util.Map.of("ready_after_ms", 1500))).build(), InetAddress.getLoopbackAddress(), 0, new PromptTokenizer());
        replicas.add(r);
        assertThatThrownBy(() -> get(r, "/health")).isInstanceOf(ConnectException.class);
        assertThat(r.awaitBound(10, TimeUnit.SECONDS)).isTrue();
        assertThat(get(r, "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void notReadyAtRunTimeAnswers503UntilTheTimePasses() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        post(r, "/admin/faults", "{\"ready_after_ms\":60000}");
        assertThat(get(r, "/health").statusCode()).isEqualTo(503);
        assertThat(get(r, "/ping").statusCode()).isEqualTo(503);
        assertThat(post(r, "/v1/chat/completions", chat("hi", "")).statusCode()).isEqualTo(503);
        post(r, "/admin/faults", "{\"ready_after_ms\":0}");
        assertThat(get(r, "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void modelsListsTheServedModelWithItsContextLength() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small").maxModelLen(4096));
        JsonNode m = JSON.readTree(get(r, "/v1/models").body());
        assertThat(m.at("/data/0/id").asText()).isEqualTo("small");
        assertThat(m.at("/data/0/max_model_len").asInt()).isEqualTo(4096);
        assertThat(m.at("/data/0/owned_by").asText()).isEqualTo("vllm");
    }

    @Test
    void metricsUseVllmNamesTypesAndBuckets() throws Exception {
        SimulatedReplica r = start(ReplicaSettings.builder("small"));
        post(r, "/v1/chat/completions", chat("hi", ""));
        String m = get(r, "/metrics").body();
        assertThat(m).contains("# TYPE vllm:num_requests_running gauge", "# TYPE vllm:num_requests_waiting gauge",
                "# TYPE vllm:kv_cache_usage_perc gauge", "# TYPE vllm:prompt_tokens_total counter",
                "# TYPE vllm:time_to_first_token_seconds histogram",
                "vllm:time_to_first_token_seconds_bucket{model_name=\"small\",engine=\"0\",le=\"0.001\"} ",
                "vllm:time_to_first_token_seconds_bucket{model_name=\"small\",engine=\"0\",le=\"2560.0\"} 1.0",
                "vllm:time_to_first_token_seconds_bucket{model_name=\"small\",engine=\"0\",le=\"+Inf\"} 1.0",
                "vllm:e2e_request_latency_seconds_count{model_name=\"small\",engine=\"0\"} 1.0");
    }
}
