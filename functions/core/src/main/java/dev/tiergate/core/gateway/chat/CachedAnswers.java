package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.dispatch.CacheKey;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.Responses;
import dev.tiergate.core.ports.ResponseCache;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.openai.ChatCompletion;
import dev.tiergate.openai.ChatCompletionChunk;
import dev.tiergate.openai.ServerSentEvents;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Exact repeats of deterministic requests, per team: where an answer is kept, the hit that makes a request free, the
 * stale answer that is better than none when every tier failed, and the fill after a fresh answer.
 */
public final class CachedAnswers {

    private static final System.Logger LOG = System.getLogger(CachedAnswers.class.getName());

    private final ResponseCache cache;
    private final TiergateConfig config;
    private final ObjectMapper json;
    private final Responses responses;
    private final CacheKey keys = new CacheKey();

    public CachedAnswers(ResponseCache cache, TiergateConfig config, ObjectMapper json) {
        this.cache = cache;
        this.config = config;
        this.json = json;
        this.responses = new Responses(json);
    }

    /** Where this request's answer on its routed tier is kept; empty when the team does not cache or the request is not deterministic. */
    Optional<ChatContext.CacheSlot> slot(ApiKey caller, ChatRequest chat, RouteDecision routed) {
        long ttl = config.cacheTtlSeconds(caller.team());
        // Chat answers only: a kept answer is replayed as a chat completion.
        if (ttl <= 0 || chat.endpoint() != dev.tiergate.core.protocol.Endpoint.CHAT_COMPLETIONS) return Optional.empty();
        return keys.of(chat.body(), caller.team(), routed.tier().name(), routed.model())
                .map(k -> new ChatContext.CacheSlot(k, Duration.ofSeconds(ttl)));
    }

    /** A kept answer: the bytes as the tier sent them (replayed whole, unknown fields and all), and what they say. */
    record Kept(byte[] raw, ChatCompletion completion) {}

    Optional<Kept> fresh(ChatContext ctx) {
        return ctx.cacheSlot().flatMap(s -> cache.find(ctx.caller().team(), s.key())).flatMap(this::read);
    }

    Optional<Kept> stale(ChatContext ctx) {
        return ctx.cacheSlot().flatMap(s -> cache.find(ctx.caller().team(), s.key(), true)).flatMap(this::read);
    }

    /** Only the routed tier's own, complete answer is kept: a fallback's or a degraded one would be served as the tier's. */
    boolean keeps(ChatContext ctx, Served served) {
        return ctx.cacheSlot().isPresent() && !served.isFallback();
    }

    /** Stores the answer for exact repeats, off the request path. */
    void fill(ChatContext ctx, Served served, byte[] completion) {
        ChatContext.CacheSlot slot = ctx.cacheSlot().orElseThrow();
        String team = ctx.caller().team();
        String tier = served.tier().name();
        Thread.ofVirtual().start(() -> {
            try {
                cache.put(team, slot.key(), tier, completion, slot.ttl());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not cache the answer of {0}: {1}", ctx.requestId(), e.getMessage());
            }
        });
    }

    void fill(ChatContext ctx, Served served, ChatCompletion completion) {
        try {
            fill(ctx, served, json.writeValueAsBytes(completion));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A kept answer in the shape the client asked for: the whole completion, or its chunks. */
    ApiResponse replay(ChatContext ctx, Kept kept, Map<String, String> extraHeaders) {
        ChatCompletion c = kept.completion();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(Responses.REQUEST_ID, ctx.requestId());
        headers.put(Responses.TIER, ctx.route().tier().name());
        headers.put(Responses.CACHE, "hit");
        headers.put(Responses.COST, "0");
        headers.putAll(extraHeaders);
        if (!ctx.chat().stream()) return responses.raw(200, kept.raw(), headers);
        headers.put("content-type", "text/event-stream; charset=utf-8");
        String finish = c.choices().isEmpty() || c.choices().get(0).finishReason() == null ? "stop" : c.choices().get(0).finishReason();
        // The kept answer's log probabilities, when its request asked for them (the cache key includes that): one chunk carries all.
        dev.tiergate.openai.TokenLogprobs logprobs = c.choices().isEmpty() ? null : c.choices().get(0).logprobs();
        boolean usage = ctx.chat().clientWantsUsage();
        return new ApiResponse.EventStream(200, headers, sink -> {
            sink.data(json.writeValueAsString(ChatCompletionChunk.role(c.id(), c.created(), c.model(), 0)));
            sink.data(json.writeValueAsString(ChatCompletionChunk.content(c.id(), c.created(), c.model(), 0, c.text(), finish, logprobs)));
            if (usage) sink.data(json.writeValueAsString(ChatCompletionChunk.usage(c.id(), c.created(), c.model(), c.usage())));
            sink.data(ServerSentEvents.DONE);
        });
    }

    private Optional<Kept> read(byte[] stored) {
        try {
            return Optional.of(new Kept(stored, json.readValue(stored, ChatCompletion.class)));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "a cached answer is not a chat completion; ignored: {0}", e.getMessage());
            return Optional.empty();
        }
    }
}
