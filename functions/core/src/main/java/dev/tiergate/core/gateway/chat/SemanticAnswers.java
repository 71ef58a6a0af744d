package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.config.SemanticCacheSettings;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.dispatch.CacheKey;
import dev.tiergate.core.gateway.Responses;
import dev.tiergate.core.ports.PromptEmbedder;
import dev.tiergate.core.ports.SemanticCacheStore;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.Endpoint;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.semantic.SemanticIndex;
import dev.tiergate.openai.ChatCompletion;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Answers kept by their prompt's meaning, per team: consulted after the exact cache missed, for a team that opted in,
 * on a tier that allows it. A candidate is a hit only when its embedding is close enough and the
 * {@link FalseHitGuard} finds nothing the two prompts disagree on. A lookup or a fill that fails is a miss: the model
 * answers, as it would without the cache.
 */
public final class SemanticAnswers {

    private static final System.Logger LOG = System.getLogger(SemanticAnswers.class.getName());

    private final SemanticIndex index;
    private final PromptEmbedder embedder;
    private final TiergateConfig config;
    private final ObjectMapper json;
    private final CacheKey keys = new CacheKey();

    public SemanticAnswers(SemanticCacheStore store, PromptEmbedder embedder, TiergateConfig config, ObjectMapper json) {
        this.index = new SemanticIndex(store, embedder.dimensions());
        this.embedder = embedder;
        this.config = config;
        this.json = json;
    }

    /** A hit: the kept answer, and how similar its prompt was. */
    record Hit(CachedAnswers.Kept kept, double similarity) {
        /** The headers that mark it. */
        Map<String, String> headers() {
            return Map.of(Responses.CACHE, "semantic", Responses.CACHE_SIMILARITY, String.format(Locale.ROOT, "%.4f", similarity));
        }
    }

    /** Where this request is looked up and kept by meaning; empty when the team, the tier or the request does not allow it. */
    Optional<ChatContext.SemanticSlot> slot(ApiKey caller, ChatRequest chat, RouteDecision routed) {
        SemanticCacheSettings s = config.semanticCache(caller.team());
        if (!s.enabled() || chat.endpoint() != Endpoint.CHAT_COMPLETIONS || !routed.tier().semanticCache()) return Optional.empty();
        if (chat.mediaParts() > 0) return Optional.empty();
        String prompt = chat.lastUserText();
        if (index.guard().ineligible(prompt, s.maxPromptChars()).isPresent()) return Optional.empty();
        Optional<String> scope = keys.semanticScope(chat.body(), caller.team(), routed.tier().name(), routed.model(), s.anySampling());
        if (scope.isEmpty()) return Optional.empty();
        // The router embedded this prompt already when it routed by embedding; the embedder gives that vector back.
        Optional<float[]> vector = embedder.embed(prompt);
        return vector.map(v -> new ChatContext.SemanticSlot(scope.get(), prompt, v, s));
    }

    Optional<Hit> find(ChatContext ctx) {
        Optional<ChatContext.SemanticSlot> slot = ctx.semanticSlot();
        if (slot.isEmpty()) return Optional.empty();
        ChatContext.SemanticSlot s = slot.get();
        String team = ctx.caller().team();
        try {
            Optional<SemanticIndex.Match> match = index.lookup(team, s.scope(), s.prompt(), s.vector(), s.settings().threshold()).match();
            if (match.isEmpty()) return Optional.empty();
            return index.answer(team, match.get()).flatMap(this::read).map(k -> new Hit(k, match.get().similarity()));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "semantic cache lookup failed for {0}; answered by the model: {1}",
                    ctx.requestId(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Only the routed tier's own answer is kept, as for exact repeats. */
    boolean keeps(ChatContext ctx, Served served) {
        return ctx.semanticSlot().isPresent() && !served.isFallback();
    }

    /** Keeps the answer under this prompt's meaning, off the request path. */
    void fill(ChatContext ctx, byte[] completion) {
        ChatContext.SemanticSlot s = ctx.semanticSlot().orElseThrow();
        String team = ctx.caller().team();
        SemanticCacheStore.Entry entry = new SemanticCacheStore.Entry(ctx.requestId(), s.prompt(), s.vector());
        Thread.ofVirtual().start(() -> {
            try {
                if (!index.keep(team, s.scope(), entry, completion, Duration.ofSeconds(s.settings().ttlSeconds()),
                        s.settings().maxEntries())) {
                    LOG.log(System.Logger.Level.DEBUG, "team {0} holds its most semantic cache entries; {1} not kept", team, ctx.requestId());
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not keep the answer of {0} in the semantic cache: {1}", ctx.requestId(), e.getMessage());
            }
        });
    }

    void fill(ChatContext ctx, ChatCompletion completion) {
        try {
            fill(ctx, json.writeValueAsBytes(completion));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Optional<CachedAnswers.Kept> read(byte[] stored) {
        try {
            return Optional.of(new CachedAnswers.Kept(stored, json.readValue(stored, ChatCompletion.class)));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "a semantic cache answer is not a chat completion; ignored: {0}", e.getMessage());
            return Optional.empty();
        }
    }
}
