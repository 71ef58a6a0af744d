package dev.tiergate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.tiergate.openai.ChatCompletion;
import dev.tiergate.openai.ChatCompletionChunk;
import dev.tiergate.openai.EmbeddingList;
import dev.tiergate.openai.ServerSentEvents;
import dev.tiergate.openai.TextCompletion;
import dev.tiergate.openai.TextCompletionChunk;
import dev.tiergate.openai.ToolCall;
import dev.tiergate.openai.Usage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings} and SageMaker's {@code /invocations}: validation with vLLM's
 * errors, the latency model, the prefix cache, JSON and SSE answers, and the injected faults.
 */
final class GenerationEndpoint {

    enum Kind { CHAT, COMPLETION, EMBEDDING }

    /** Thrown to make the HTTP server drop the connection without finishing the answer. */
    static final class DropConnection extends RuntimeException {
        DropConnection() { super("connection dropped by fault injection", null, false, false); }
    }

    private final ReplicaSettings settings;
    private final Engine engine;
    private final PrefixCache cache;
    private final VllmMetrics metrics;
    private final PromptTokenizer tokenizer;
    private final TextGenerator generator;
    private final SimulatedLogprobs scorer;
    /** vLLM's {@code --max-logprobs} default: the most alternatives a request may ask for. */
    static final int MAX_LOGPROBS = 20;
    private final ObjectMapper json;
    private final java.util.function.Supplier<Faults> faults;
    /** What vLLM sends as {@code system_fingerprint}: its build; the simulator names itself. */
    private static final String FINGERPRINT = "vllm-sim";
    private final AtomicLong unseeded = new AtomicLong(System.nanoTime());

    GenerationEndpoint(ReplicaSettings settings, Engine engine, PrefixCache cache, VllmMetrics metrics,
                       PromptTokenizer tokenizer, ObjectMapper json, java.util.function.Supplier<Faults> faults) {
        this.settings = settings;
        this.engine = engine;
        this.cache = cache;
        this.metrics = metrics;
        this.tokenizer = tokenizer;
        this.generator = new TextGenerator(tokenizer);
        this.scorer = new SimulatedLogprobs(tokenizer);
        this.json = json;
        this.faults = faults;
    }

    /** A validated request: its prompts (one per choice for batched completions), limits and options. */
    /**
     * @param toolCall the function the answer calls, when tools are given and the request makes or lets the model call one
     * @param json     the JSON text the answer is, under {@code response_format} json_object or json_schema
     * @param logprobs how many alternatives each token's log probability comes with; -1 when none was asked for
     */
    private record Job(Kind kind, List<int[]> prompts, Integer maxTokens, int n, boolean stream, boolean includeUsage,
                       long seed, String id, long created, java.util.Optional<StructuredOutput.Call> toolCall,
                       java.util.Optional<String> json, int logprobs) {}

    void handle(HttpExchange ex, JsonNode body, Kind kind) throws IOException, VllmError, InterruptedException {
        Job job = validate(ex, body, kind);
        Faults f = faults.get();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (rnd.nextDouble() < f.resetRate()) throw new DropConnection();
        if (rnd.nextDouble() < f.hangRate()) {
            engine.hang(600_000);
            throw new DropConnection();
        }
        if (rnd.nextDouble() < f.errorRate()) {
            throw VllmError.forStatus(f.errorStatus(), "Simulated failure (injected fault, status " + f.errorStatus() + ").");
        }
        boolean cut = rnd.nextDouble() < f.cutStreamRate();
        boolean malformed = rnd.nextDouble() < f.malformedRate();
        run(ex, job, cut, malformed);
    }

    private Job validate(HttpExchange ex, JsonNode body, Kind kind) throws VllmError {
        if (!body.isObject()) throw VllmError.schema("Input should be a valid dictionary or object to extract fields from");
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) throw VllmError.schema("model: Input should be a valid string");
            if (!model.asText().equals(settings.servedModelName())) throw VllmError.notFound(model.asText());
        }
        boolean stream = bool(body, "stream");
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull() && !stream) {
            throw VllmError.badRequest("Stream options can only be defined when `stream=True`.", null);
        }
        boolean includeUsage = so != null && so.path("include_usage").asBoolean(false);
        int n = intField(body, "n", 1);
        if (n < 1) throw VllmError.badRequest("n must be at least 1, got " + n + ".", "n");
        Integer maxTokens = optionalInt(body, "max_completion_tokens");
        if (maxTokens == null) maxTokens = optionalInt(body, "max_tokens");
        if (maxTokens == null && kind == Kind.COMPLETION) maxTokens = 16;
        if (maxTokens != null && maxTokens < 1) {
            throw VllmError.badRequest("max_tokens must be at least 1, got " + maxTokens + ".", "max_tokens");
        }
        if (maxTokens != null && maxTokens > settings.maxModelLen()) {
            throw VllmError.badRequest("max_tokens=" + maxTokens + " cannot be greater than max_model_len="
                    + settings.maxModelLen() + ". Please request fewer output tokens.", "max_tokens");
        }
        int logprobs = logprobs(body, kind);
        List<int[]> prompts = new ArrayList<>();
        try {
            if (kind == Kind.CHAT) {
                JsonNode messages = body.get("messages");
                if (messages == null || !messages.isArray()) throw VllmError.schema("messages: Field required");
                if (messages.isEmpty()) throw VllmError.badRequest("messages must not be empty", "messages");
                int[] ids = tokenizer.encodeChat(messages, body.get("tools"));
                for (int i = 0; i < n; i++) prompts.add(ids);
            } else {
                JsonNode prompt = body.get("prompt");
                if (prompt == null || prompt.isNull()) throw VllmError.schema("prompt: Field required");
                if (prompt.isTextual()) {
                    int[] ids = tokenizer.encode(prompt.asText());
                    for (int i = 0; i < n; i++) prompts.add(ids);
                } else if (prompt.isArray() && !prompt.isEmpty()) {
                    for (JsonNode p : prompt) {
                        if (!p.isTextual()) throw VllmError.schema("prompt: Input should be a valid string or list of strings");
                        int[] ids = tokenizer.encode(p.asText());
                        for (int i = 0; i < n; i++) prompts.add(ids);
                    }
                } else {
                    throw VllmError.schema("prompt: Input should be a valid string or list of strings");
                }
            }
        } catch (IllegalArgumentException e) {
            throw VllmError.badRequest(e.getMessage(), "messages");
        }
        int promptLen = prompts.get(0).length;
        int maxLen = settings.maxModelLen();
        for (int[] p : prompts) {
            if (maxTokens != null && p.length + maxTokens > maxLen) {
                throw VllmError.badRequest("This model's maximum context length is " + maxLen + " tokens. However, you requested "
                        + maxTokens + " output tokens and your prompt contains " + p.length + " input tokens, for a total of "
                        + (p.length + maxTokens) + " tokens. Please reduce the length of the input prompt or the number of "
                        + "requested output tokens.", "input_tokens");
            }
            if (maxTokens == null && p.length >= maxLen) {
                throw VllmError.badRequest("This model's maximum context length is " + maxLen + " tokens. However, your request has "
                        + p.length + " input tokens. Please reduce the length of the input messages.", "input_tokens");
            }
        }
        long seed;
        JsonNode seedNode = body.get("seed");
        if (seedNode != null && seedNode.isIntegralNumber()) seed = seedNode.asLong();
        else if (body.path("temperature").isNumber() && body.get("temperature").asDouble() == 0.0) seed = 0;
        else seed = unseeded.incrementAndGet() * 0x9E3779B97F4A7C15L;
        seed = seed * 31 + Arrays.hashCode(prompts.get(0)) + promptLen;
        String header = ex.getRequestHeaders().getFirst("X-Request-Id");
        String id = (kind == Kind.CHAT ? "chatcmpl-" : "cmpl-")
                + (header != null && !header.isBlank() ? header : HexFormat.of().formatHex(randomBytes()));
        java.util.Optional<StructuredOutput.Call> call = java.util.Optional.empty();
        java.util.Optional<String> json = java.util.Optional.empty();
        if (kind == Kind.CHAT) {
            call = StructuredOutput.toolCall(body, settings.toolCallParser().isPresent());
            json = call.isPresent() ? java.util.Optional.empty() : StructuredOutput.json(body, seed);
        }
        return new Job(kind, prompts, maxTokens, n, stream, includeUsage, seed, id, System.currentTimeMillis() / 1000, call, json,
                logprobs);
    }

    /** Chat: {@code logprobs} (bool) and {@code top_logprobs} (int); completions: {@code logprobs} (int). As vLLM checks them. */
    private static int logprobs(JsonNode body, Kind kind) throws VllmError {
        int top;
        if (kind == Kind.CHAT) {
            boolean wanted = bool(body, "logprobs");
            Integer asked = optionalInt(body, "top_logprobs");
            if (asked != null && asked < 0) throw VllmError.badRequest("`top_logprobs` must be a positive value.", "top_logprobs");
            if (asked != null && asked > 0 && !wanted) {
                throw VllmError.badRequest("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs");
            }
            if (!wanted) return -1;
            top = asked == null ? 0 : asked;
        } else {
            Integer asked = optionalInt(body, "logprobs");
            if (asked == null) return -1;
            if (asked < 0) throw VllmError.badRequest("`logprobs` must be a positive value.", "logprobs");
            top = asked;
        }
        if (top > MAX_LOGPROBS) {
            throw VllmError.badRequest("Requested sample logprobs of " + top + ", which is greater than max allowed: " + MAX_LOGPROBS,
                    kind == Kind.CHAT ? "top_logprobs" : "logprobs");
        }
        return top;
    }

    private void run(HttpExchange ex, Job job, boolean cut, boolean malformed) throws IOException, InterruptedException {
        long arrival = System.nanoTime();
        int promptTokens = 0;
        int cachedTokens = 0;
        int maxOut = job.maxTokens() == null ? settings.maxModelLen() - job.prompts().get(0).length : job.maxTokens();
        try (Engine.Slot slot = engine.admit(job.prompts().get(0).length * job.prompts().size(), maxOut * job.prompts().size())) {
            metrics.queue.observe(slot.queueSeconds());
            // The n choices of one prompt share its prefill, and vLLM counts that prompt once in the usage.
            for (int i = 0; i < job.prompts().size(); i += job.n()) {
                int[] p = job.prompts().get(i);
                int hit = cache.lookupAndInsert(p);
                cachedTokens += hit;
                promptTokens += p.length;
                metrics.recordPromptTokens(p.length);
                engine.prefill(p.length - hit);
            }
            metrics.ttft.observe((System.nanoTime() - arrival) / 1e9);
            List<TextGenerator.Generation> gens = new ArrayList<>();
            for (int i = 0; i < job.prompts().size(); i++) {
                int[] p = job.prompts().get(i);
                long seed = job.seed() + i;
                int range = settings.maxOutputTokens() - settings.minOutputTokens() + 1;
                int target = settings.minOutputTokens() + (int) Math.floorMod(seed ^ (seed >>> 17), (long) range);
                int limit = job.maxTokens() == null ? settings.maxModelLen() - p.length : job.maxTokens();
                if (job.toolCall().isPresent()) gens.add(generator.fixed(job.toolCall().get().arguments(), "tool_calls", limit));
                else if (job.json().isPresent()) gens.add(generator.fixed(job.json().get(), "stop", limit));
                else gens.add(generator.generate(seed, target, limit));
            }
            int completionTokens = gens.stream().mapToInt(TextGenerator.Generation::tokens).sum();
            if (job.stream()) {
                stream(ex, job, gens, promptTokens, completionTokens, cachedTokens, cut, malformed);
            } else {
                for (TextGenerator.Generation g : gens) engine.decode(g.tokens());
                whole(ex, job, gens, promptTokens, completionTokens, cachedTokens, cut, malformed);
            }
            metrics.recordGeneratedTokens(completionTokens);
            for (TextGenerator.Generation g : gens) {
                metrics.recordFinished(g.finishReason());
                for (int t = 1; t < g.tokens(); t++) metrics.itl.observe(engine.interTokenSeconds());
            }
            metrics.e2e.observe((System.nanoTime() - arrival) / 1e9);
        } catch (IOException e) {
            metrics.recordFinished("abort");
            throw e;
        }
    }

    private void whole(HttpExchange ex, Job job, List<TextGenerator.Generation> gens, int prompt, int completion,
                       int cached, boolean cut, boolean malformed) throws IOException {
        Usage usage = usage(prompt, completion, cached);
        Object answer;
        if (job.kind() == Kind.CHAT) {
            List<ChatCompletion.Choice> choices = new ArrayList<>();
            for (int i = 0; i < gens.size(); i++) {
                TextGenerator.Generation g = gens.get(i);
                choices.add(job.toolCall().isPresent()
                        ? new ChatCompletion.Choice(i, ChatCompletion.Message.calling(List.of(ToolCall.function(callId(job, i),
                        job.toolCall().get().name(), g.text()))), g.finishReason(), null)
                        : new ChatCompletion.Choice(i, ChatCompletion.Message.assistant(g.text()), g.finishReason(), null,
                        job.logprobs() < 0 ? null : SimulatedLogprobs.chat(scored(job, i, g))));
            }
            answer = new ChatCompletion(job.id(), job.created(), settings.servedModelName(), choices, usage, FINGERPRINT);
        } else {
            List<TextCompletion.Choice> choices = new ArrayList<>();
            for (int i = 0; i < gens.size(); i++) {
                TextGenerator.Generation g = gens.get(i);
                choices.add(new TextCompletion.Choice(i, g.text(), g.finishReason(), null,
                        job.logprobs() < 0 ? null : SimulatedLogprobs.text(scored(job, i, g), 0)));
            }
            answer = new TextCompletion(job.id(), job.created(), settings.servedModelName(), choices, usage, FINGERPRINT);
        }
        byte[] bytes = json.writeValueAsBytes(answer);
        if (malformed) bytes = Arrays.copyOf(bytes, bytes.length / 2);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, bytes.length);
        OutputStream out = ex.getResponseBody();
        if (cut) {
            out.write(bytes, 0, bytes.length / 2);
            out.flush();
            throw new DropConnection();
        }
        out.write(bytes);
        out.close();
    }

    private void stream(HttpExchange ex, Job job, List<TextGenerator.Generation> gens, int prompt, int completion,
                        int cached, boolean cut, boolean malformed) throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        boolean chat = job.kind() == Kind.CHAT;
        String model = settings.servedModelName();
        int totalPieces = gens.stream().mapToInt(g -> g.pieces().size()).sum();
        int cutAfter = faults.get().cutAfterPieces();
        int cutAt = cutAfter >= 0 ? cutAfter : Math.max(1, totalPieces / 2);
        if (cut && cutAt == 0) {
            // The role chunk only, then the connection drops: a failure before the first token.
            if (chat) event(out, ChatCompletionChunk.role(job.id(), job.created(), model, 0));
            throw new DropConnection();
        }
        int sent = 0;
        for (int i = 0; i < gens.size(); i++) {
            TextGenerator.Generation g = gens.get(i);
            if (chat) event(out, ChatCompletionChunk.role(job.id(), job.created(), model, i));
            if (job.toolCall().isPresent()) {
                // The call's id and name first, then its arguments in pieces, then why the choice finished.
                event(out, ChatCompletionChunk.toolCalls(job.id(), job.created(), model, i,
                        ToolCall.Delta.start(0, callId(job, i), job.toolCall().get().name())));
                for (TextGenerator.Piece piece : g.pieces()) {
                    engine.decode(piece.tokens());
                    event(out, ChatCompletionChunk.toolCalls(job.id(), job.created(), model, i, ToolCall.Delta.arguments(0, piece.text())));
                }
                event(out, ChatCompletionChunk.finish(job.id(), job.created(), model, i, g.finishReason()));
                continue;
            }
            List<TextGenerator.Piece> pieces = g.pieces();
            int position = 0;
            int offset = 0;
            for (int p = 0; p < pieces.size(); p++) {
                engine.decode(pieces.get(p).tokens());
                String finish = p == pieces.size() - 1 ? g.finishReason() : null;
                event(out, piece(job, i, pieces.get(p).text(), finish, position, offset));
                position += pieces.get(p).tokens();
                offset += pieces.get(p).text().length();
                sent++;
                if (malformed && sent == cutAt) {
                    String whole = json.writeValueAsString(piece(job, i, "", null));
                    out.write(ServerSentEvents.dataBytes(whole.substring(0, whole.length() / 2)));
                    out.flush();
                }
                if (cut && sent == cutAt) throw new DropConnection();
            }
            if (pieces.isEmpty()) event(out, piece(job, i, "", g.finishReason()));
        }
        if (job.includeUsage()) {
            Usage u = usage(prompt, completion, cached);
            event(out, chat ? ChatCompletionChunk.usage(job.id(), job.created(), model, u)
                    : TextCompletionChunk.usage(job.id(), job.created(), model, u));
        }
        out.write(ServerSentEvents.dataBytes(ServerSentEvents.DONE));
        out.close();
    }

    private static String callId(Job job, int choice) {
        return "chatcmpl-tool-" + Long.toHexString(job.seed() * 31 + choice & 0xffffffffffL);
    }

    private Object piece(Job job, int index, String text, String finishReason) {
        return job.kind() == Kind.CHAT
                ? ChatCompletionChunk.content(job.id(), job.created(), settings.servedModelName(), index, text, finishReason)
                : TextCompletionChunk.text(job.id(), job.created(), settings.servedModelName(), index, text, finishReason);
    }

    /** A whole choice's tokens, scored piece by piece as its stream would be, so both carry the same tokens as its usage counts. */
    private List<SimulatedLogprobs.Scored> scored(Job job, int index, TextGenerator.Generation g) {
        List<SimulatedLogprobs.Scored> out = new ArrayList<>();
        int position = 0;
        for (TextGenerator.Piece piece : g.pieces()) {
            out.addAll(scorer.score(piece.text(), job.seed() + index, position, job.logprobs()));
            position += piece.tokens();
        }
        return out;
    }

    /** A piece of a choice's text; with its tokens' log probabilities when asked (from the choice's token {@code position}). */
    private Object piece(Job job, int index, String text, String finishReason, int position, int offset) {
        if (job.logprobs() < 0) return piece(job, index, text, finishReason);
        List<SimulatedLogprobs.Scored> scored = scorer.score(text, job.seed() + index, position, job.logprobs());
        return job.kind() == Kind.CHAT
                ? ChatCompletionChunk.content(job.id(), job.created(), settings.servedModelName(), index, text, finishReason,
                SimulatedLogprobs.chat(scored))
                : TextCompletionChunk.text(job.id(), job.created(), settings.servedModelName(), index, text, finishReason,
                SimulatedLogprobs.text(scored, offset));
    }

    /** cached_tokens is reported only with --enable-prompt-tokens-details and only when non-zero, as vLLM does. */
    private Usage usage(int prompt, int completion, int cached) {
        return Usage.of(prompt, completion, settings.enablePromptTokensDetails() ? cached : 0);
    }

    private void event(OutputStream out, Object payload) throws IOException {
        out.write(ServerSentEvents.dataBytes(json.writeValueAsString(payload)));
        out.flush();
    }

    /** The vector size of the simulated embedding model. */
    static final int EMBEDDING_DIMENSIONS = 64;

    /**
     * {@code /v1/embeddings}, as vLLM's pooling runner serves it: {@code input} is a string, a list of strings, a list of
     * token ids or a list of such lists; each becomes one unit vector, deterministic in its tokens (the same text gives
     * the same vector). A generative model refuses the endpoint as vLLM does.
     */
    void embed(HttpExchange ex, JsonNode body) throws IOException, VllmError, InterruptedException {
        if (!settings.embeds()) throw VllmError.badRequest("The model does not support Embeddings API", null);
        if (!body.isObject()) throw VllmError.schema("Input should be a valid dictionary or object to extract fields from");
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) throw VllmError.schema("model: Input should be a valid string");
            if (!model.asText().equals(settings.servedModelName())) throw VllmError.notFound(model.asText());
        }
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) throw VllmError.schema("input: Field required");
        List<int[]> inputs = new ArrayList<>();
        if (input.isTextual()) {
            inputs.add(tokenizer.encode(input.asText()));
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
            inputs.add(tokenIds(input));
        } else if (input.isArray() && !input.isEmpty()) {
            for (JsonNode item : input) {
                if (item.isTextual()) inputs.add(tokenizer.encode(item.asText()));
                else if (item.isArray() && !item.isEmpty()) inputs.add(tokenIds(item));
                else throw VllmError.schema("input: Input should be a valid string or list of strings or token ids");
            }
        } else {
            throw VllmError.schema("input: Input should be a valid string or list of strings or token ids");
        }
        int total = 0;
        for (int[] ids : inputs) {
            if (ids.length > settings.maxModelLen()) {
                throw VllmError.badRequest("This model's maximum context length is " + settings.maxModelLen() + " tokens. However, "
                        + "you requested " + ids.length + " tokens in the input for embedding generation. Please reduce the "
                        + "length of the input.", "input");
            }
            total += ids.length;
        }
        JsonNode format = body.get("encoding_format");
        boolean base64 = format != null && format.asText("").equals("base64");
        if (format != null && !format.isNull() && !base64 && !format.asText("").equals("float")) {
            throw VllmError.schema("encoding_format: Input should be 'float' or 'base64'");
        }
        List<EmbeddingList.Embedding> data = new ArrayList<>();
        try (Engine.Slot slot = engine.admit(total, 1)) {
            metrics.queue.observe(slot.queueSeconds());
            engine.prefill(total);
            for (int i = 0; i < inputs.size(); i++) {
                List<Double> v = vector(inputs.get(i));
                data.add(base64 ? EmbeddingList.Embedding.base64(i, v) : EmbeddingList.Embedding.floats(i, v));
            }
        }
        metrics.recordPromptTokens(total);
        String header = ex.getRequestHeaders().getFirst("X-Request-Id");
        String id = "embd-" + (header != null && !header.isBlank() ? header : HexFormat.of().formatHex(randomBytes()));
        byte[] bytes = json.writeValueAsBytes(new EmbeddingList(id, System.currentTimeMillis() / 1000, settings.servedModelName(),
                data, Usage.of(total, 0)));
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static int[] tokenIds(JsonNode array) throws VllmError {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
                throw VllmError.schema("input: Input should be a valid string or list of strings or token ids");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    /** A unit vector from the tokens' ids: each token adds a pseudo-random direction, so shared tokens mean nearby vectors. */
    private static List<Double> vector(int[] ids) {
        double[] v = new double[EMBEDDING_DIMENSIONS];
        for (int id : ids) {
            long h = id * 0x9E3779B97F4A7C15L;
            for (int d = 0; d < v.length; d++) {
                h ^= h >>> 29;
                h *= 0xBF58476D1CE4E5B9L;
                v[d] += ((h >>> 11) * 0x1.0p-53) - 0.5;
            }
        }
        double norm = 0;
        for (double x : v) norm += x * x;
        norm = Math.sqrt(norm);
        List<Double> out = new ArrayList<>(v.length);
        for (double x : v) out.add(norm == 0 ? 0.0 : x / norm);
        return out;
    }

    private static boolean bool(JsonNode body, String field) throws VllmError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw VllmError.schema(field + ": Input should be a valid boolean");
        return v.asBoolean();
    }

    private static int intField(JsonNode body, String field, int fallback) throws VllmError {
        Integer v = optionalInt(body, field);
        return v == null ? fallback : v;
    }

    private static Integer optionalInt(JsonNode body, String field) throws VllmError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw VllmError.schema(field + ": Input should be a valid integer");
        return v.asInt();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
