package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Authenticator;
import dev.tiergate.core.budget.BudgetAction;
import dev.tiergate.core.budget.BudgetDecision;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.BudgetRefusal;
import dev.tiergate.core.budget.RateLimitKind;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.dispatch.Attempted;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.Refusals;
import dev.tiergate.core.gateway.Responses;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.observability.Tracer;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.Endpoint;
import dev.tiergate.core.protocol.JsonBody;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.TokenCounter;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.openai.ChatCompletion;
import dev.tiergate.openai.ChatCompletionChunk;
import dev.tiergate.openai.ServerSentEvents;
import dev.tiergate.openai.Usage;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}, as a pipeline: authenticate → validate → (idempotency) → route → (exact cache,
 * then semantic cache) → reserve → dispatch along the {@link FailoverChain} → settle and observe through the {@link RequestRecorder}.
 *
 * <p>Every path that dispatched ends in a {@link Conclusion}: what to record, and the answer to give once its cost
 * is known. It is recorded in exactly one place per path, {@link #conclude} for whole answers and refusals, the end of
 * the stream body for a stream, so a request is recorded once by the shape of the code.
 */
public final class ChatCompletions {

    private final Authenticator auth;
    private final TierRouter router;
    private final BudgetGuard guard;
    private final RoutingRequests routingRequests;
    private final IdempotentRequests idempotent;
    private final CachedAnswers cached;
    private final Optional<SemanticAnswers> semantic;
    private final FailoverChain failover;
    private final StreamRelay relay;
    private final RequestRecorder recorder;
    private final dev.tiergate.core.ports.SettlementQueue settlements;
    private final UpstreamRefusals refusals;
    private final GatewaySettings settings;
    private final Tracer tracer;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;

    ChatCompletions(Builder b) {
        this.auth = b.auth;
        this.router = b.router;
        this.guard = b.guard;
        this.settings = b.settings;
        this.tracer = b.tracer;
        this.clock = b.clock;
        this.json = b.json;
        this.responses = new Responses(json);
        this.routingRequests = new RoutingRequests(b.tokens, b.teamAllowed);
        this.idempotent = new IdempotentRequests(b.idempotency, clock, responses);
        this.cached = new CachedAnswers(b.cache, b.config, json);
        this.semantic = b.semanticStore == null ? Optional.empty()
                : Optional.of(new SemanticAnswers(b.semanticStore, b.embedder, b.config, json));
        this.failover = new FailoverChain(b.config, b.guard, b.dispatcher, settings, tracer, json);
        this.settlements = b.settlements;
        this.recorder = new RequestRecorder(b.settlements, b.guard, b.observer, tracer, b.tokens,
                b.config.observability().contentLogTeams(), clock);
        this.relay = new StreamRelay(json, b.tokens, settings, clock, recorder);
        this.refusals = new UpstreamRefusals(json);
    }

    public static Builder builder() {
        return new Builder();
    }

    public RoutingRequests routingRequests() {
        return routingRequests;
    }

    public ApiResponse handle(ApiRequest request, String requestId) {
        return handle(Endpoint.CHAT_COMPLETIONS, request, requestId);
    }

    /** A request to any of the endpoints: the same pipeline, with the endpoint's shapes. */
    public ApiResponse handle(Endpoint endpoint, ApiRequest request, String requestId) {
        ApiKey caller = auth.authenticate(request.header("Authorization"));
        ChatRequest chat = validated(endpoint, request.body());
        RoutingRequest routing = routingRequests.of(caller, chat, request::header);
        return idempotent.handle(caller, request.header(IdempotentRequests.HEADER), request.body(), requestId,
                () -> serve(requestId, caller, chat, routing));
    }

    private ChatRequest validated(Endpoint endpoint, byte[] body) {
        JsonNode node = JsonBody.parse(body).orElseThrow(
                () -> OpenAiError.invalidRequest("The request body is empty; send a JSON object.", null).failure());
        ChatRequest chat = switch (endpoint) {
            case CHAT_COMPLETIONS -> ChatRequest.from(node);
            case COMPLETIONS -> ChatRequest.fromCompletion(node);
            case EMBEDDINGS -> ChatRequest.fromEmbedding(node);
        };
        if (chat.messageCount() > settings.maxMessages()) {
            String field = switch (endpoint) {
                case CHAT_COMPLETIONS -> "messages";
                case COMPLETIONS -> "prompt";
                case EMBEDDINGS -> "input";
            };
            throw OpenAiError.invalidRequest("'" + field + "' has " + chat.messageCount() + " items; the limit is "
                    + settings.maxMessages() + ".", field).failure();
        }
        if (chat.choices() > settings.maxN()) {
            String limit = endpoint == Endpoint.COMPLETIONS
                    ? "'n' (or 'best_of') times the number of prompts must be at most " + settings.maxN() + "."
                    : "'n' must be a whole number from 1 to " + settings.maxN() + ".";
            throw OpenAiError.invalidRequest(limit, "n").failure();
        }
        return chat;
    }

    private ApiResponse serve(String requestId, ApiKey caller, ChatRequest chat, RoutingRequest routing) {
        Instant start = clock.instant();
        RouteDecision routed;
        try (Tracer.Span span = tracer.span("routing")) {
            routed = router.route(routing);
            span.annotate("tier", routed.tier().name());
        }
        ChatContext ctx = ChatContext.routed(requestId, caller, chat, routing, routed, start,
                start.plusMillis(settings.timeoutMs(chat.stream())), cached.slot(caller, chat, routed));
        Optional<CachedAnswers.Kept> hit = cached.fresh(ctx);
        if (hit.isPresent()) {
            recorder.cacheHit(ctx, hit.get().completion().text(), Outcome.CACHE_HIT);
            return cached.replay(ctx, hit.get(), Map.of());
        }
        if (semantic.isPresent()) {
            Optional<SemanticAnswers.Hit> near;
            try (Tracer.Span span = tracer.span("semantic_cache")) {
                ctx = ctx.withSemantic(semantic.get().slot(caller, chat, routed));
                near = semantic.get().find(ctx);
                span.annotate("hit", Boolean.toString(near.isPresent()));
            }
            if (near.isPresent()) {
                recorder.cacheHit(ctx, near.get().kept().completion().text(), Outcome.SEMANTIC_CACHE_HIT);
                return cached.replay(ctx, near.get().kept(), near.get().headers());
            }
        }
        BudgetDecision decision;
        try (Tracer.Span span = tracer.span("budget")) {
            decision = guard.decide(caller, routing, routed, requestId, ctx.deadline());
            if (decision instanceof BudgetDecision.Reject r && r.reason() instanceof BudgetRefusal.RateLimited limited
                    && limited.kind() == RateLimitKind.MAX_CONCURRENT && settlements.anyUnwritten()) {
                // Requests this instance finished may still be counted in flight until their settlements are written
                // (behind the answer): write them, and ask once more, so a client's next request is not refused for
                // its own last one. Nothing unwritten (Lambda, or a quiet instance): the refusal stands, one write.
                settlements.awaitWritten();
                decision = guard.decide(caller, routing, routed, requestId, ctx.deadline());
            }
        }
        return switch (decision) {
            case BudgetDecision.Reject r -> {
                OpenAiError error = Refusals.of(r.reason());
                recorder.refused(ctx, error.status());
                throw error.failure();
            }
            case BudgetDecision.Allow a -> dispatch(ctx.held(a.route(), BudgetAction.ALLOW, Optional.empty()), a.reservation());
            case BudgetDecision.Downgrade g -> dispatch(ctx.held(g.route(), BudgetAction.DOWNGRADE, Optional.of(g.fromTier())), g.reservation());
        };
    }

    /** What a request that held money ends with: what its record says, and its answer once the cost is known. */
    private record Conclusion(Ending ending, Answer answer) {}

    @FunctionalInterface
    private interface Answer {
        /** The client's answer; throws the error, for a request that failed. */
        ApiResponse given(Usd cost);
    }

    private ApiResponse dispatch(ChatContext ctx, Reservation held) {
        FailoverChain.Run chain = failover.start(ctx, held);
        Conclusion c;
        try {
            Optional<Attempted> first = chain.first();
            if (ctx.chat().stream() && first.isPresent() && first.get() instanceof Attempted.Opened opened) {
                return stream(ctx, chain, opened);
            }
            c = ctx.chat().stream() ? opening(ctx, chain, first) : whole(ctx, chain, first);
        } catch (RuntimeException e) {
            // A fault of ours (or a refusal thrown on the way): recorded here, as nothing else will record it.
            int status = e instanceof OpenAiError.Failure f ? f.error().status() : 500;
            recorder.dispatched(ctx, chain.served(), Ending.nothing(status,
                    e instanceof OpenAiError.Failure ? Outcome.REJECTED : Outcome.GATEWAY_ERROR, UsageSource.UPSTREAM));
            throw e;
        }
        return conclude(ctx, chain, c);
    }

    private ApiResponse conclude(ChatContext ctx, FailoverChain.Run chain, Conclusion c) {
        Usd cost = recorder.dispatched(ctx, chain.served(), c.ending());
        return c.answer().given(cost);
    }

    /** A whole answer: the first well-formed one along the chain. */
    private Conclusion whole(ChatContext ctx, FailoverChain.Run chain, Optional<Attempted> got) {
        while (true) {
            if (got.isEmpty()) return lastResort(ctx, chain);
            switch (got.get()) {
                case Attempted.Rejected r -> {
                    return refused(ctx, chain, r);
                }
                case Attempted.Answered a -> {
                    Optional<JsonNode> answer = object(a.reply().body());
                    if (answer.isPresent()) return answered(ctx, chain, a.reply().body(), answer.get());
                    // A broken answer is the replica's fault: another one may answer well.
                    got = chain.afterBreak(a.replica(), java.time.Duration.ZERO);
                }
                case Attempted.Opened o -> throw new IllegalStateException("a whole request opened a stream");
                case Attempted.Failed f -> throw new IllegalStateException("the chain passes failures over");
            }
        }
    }

    private Conclusion answered(ChatContext ctx, FailoverChain.Run chain, byte[] body, JsonNode answer) {
        JsonNode usage = answer.get("usage");
        String text = switch (ctx.chat().endpoint()) {
            case CHAT_COMPLETIONS -> answer.at("/choices/0/message/content").asText("");
            case COMPLETIONS -> answer.at("/choices/0/text").asText("");
            case EMBEDDINGS -> "";
        };
        Ending ending = usage != null && usage.isObject()
                ? Ending.answered(Ending.reported(usage), UsageSource.UPSTREAM, logged(ctx, text))
                : Ending.answered(new dev.tiergate.core.money.TokenUsage(tokens().count(ctx.chat().promptText()), tokens().count(text), 0),
                UsageSource.ESTIMATED, logged(ctx, text));
        Served served = chain.served();
        return new Conclusion(ending, cost -> {
            Map<String, String> headers = AnswerHeaders.of(ctx, served);
            headers.put(Responses.COST, cost.plain());
            // An answer that calls tools is not kept: a streamed replay of the cache carries text only.
            if (answer.at("/choices/0/message/tool_calls").isEmpty()) {
                if (cached.keeps(ctx, served)) {
                    headers.put(Responses.CACHE, "miss");
                    cached.fill(ctx, served, body);
                }
                if (semantic.isPresent() && semantic.get().keeps(ctx, served)) {
                    headers.put(Responses.CACHE, "miss");
                    semantic.get().fill(ctx, body);
                }
            }
            return responses.raw(200, body, headers);
        });
    }

    private Conclusion refused(ChatContext ctx, FailoverChain.Run chain, Attempted.Rejected r) {
        UpstreamRefusals.Refusal refusal = refusals.map(ctx.requestId(), chain.served().tier().name(), r.status(), r.body());
        OpenAiError e = refusal.error();
        return new Conclusion(Ending.nothing(e.status(), refusal.outcome(), UsageSource.UPSTREAM), cost -> {
            throw e.failure();
        });
    }

    /** A stream that did not open: the upstream refused it, or every tier failed. */
    private Conclusion opening(ChatContext ctx, FailoverChain.Run chain, Optional<Attempted> got) {
        if (got.isEmpty()) return lastResort(ctx, chain);
        return switch (got.get()) {
            case Attempted.Rejected r -> refused(ctx, chain, r);
            case Attempted.Answered a -> throw new IllegalStateException("a stream request got a whole answer");
            case Attempted.Opened o -> throw new IllegalStateException("an opened stream is relayed, not concluded");
            case Attempted.Failed f -> throw new IllegalStateException("the chain passes failures over");
        };
    }

    /** Every tier failed: a stale cached answer, the configured polite answer, or the failure itself. */
    private Conclusion lastResort(ChatContext ctx, FailoverChain.Run chain) {
        boolean chat = ctx.chat().endpoint() == Endpoint.CHAT_COMPLETIONS;
        if (chat && chain.allowsStaleCache()) {
            Optional<CachedAnswers.Kept> stale = cached.stale(ctx);
            if (stale.isPresent()) {
                return new Conclusion(Ending.nothing(200, Outcome.CACHE_FALLBACK, UsageSource.CACHE),
                        cost -> cached.replay(ctx, stale.get(), Map.of(Responses.FALLBACK_FROM, ctx.route().tier().name())));
            }
        }
        // The cache and the polite answer are chat answers: another endpoint's client gets the failure.
        if (!chat || !chain.allowsDegraded()) {
            OpenAiError e = chain.exhausted();
            return new Conclusion(Ending.nothing(e.status(), Outcome.UPSTREAM_ERROR, UsageSource.UPSTREAM), cost -> {
                throw e.failure();
            });
        }
        Served served = chain.served();
        return new Conclusion(Ending.nothing(200, Outcome.DEGRADED, UsageSource.NONE), cost -> degraded(ctx, served));
    }

    /** The degraded answer: marked, free, from no model, in the shape the client asked for. */
    private ApiResponse degraded(ChatContext ctx, Served served) {
        String message = settings.degradedMessage().orElseThrow();
        Map<String, String> headers = AnswerHeaders.of(ctx, served);
        headers.put(Responses.DEGRADED, "true");
        headers.put(Responses.COST, "0");
        String id = "chatcmpl-" + ctx.requestId();
        long created = clock.instant().getEpochSecond();
        if (!ctx.chat().stream()) {
            return responses.raw(200, bytes(ChatCompletion.answer(id, created, DEGRADED_MODEL, message, "stop", Usage.NONE)), headers);
        }
        headers.put("content-type", "text/event-stream; charset=utf-8");
        return new ApiResponse.EventStream(200, headers, sink -> {
            sink.data(json.writeValueAsString(ChatCompletionChunk.role(id, created, DEGRADED_MODEL, 0)));
            sink.data(json.writeValueAsString(ChatCompletionChunk.content(id, created, DEGRADED_MODEL, 0, message, "stop")));
            sink.data(ServerSentEvents.DONE);
        });
    }

    private static final String DEGRADED_MODEL = "tiergate-degraded";

    /** An opened stream: relayed as it comes, recorded when it ends, then closed with its cost or its error. */
    private ApiResponse stream(ChatContext ctx, FailoverChain.Run chain, Attempted.Opened opened) {
        return new ApiResponse.EventStream(200, AnswerHeaders.stream(ctx, chain.served()), sink -> {
            StreamRelay.Relayed relayed;
            try {
                relayed = relay.relay(ctx, chain, opened, sink);
            } catch (IOException | RuntimeException e) {
                recorder.dispatched(ctx, chain.served(), Ending.nothing(200, Outcome.GATEWAY_ERROR, UsageSource.UPSTREAM));
                throw e;
            }
            Usd cost = recorder.dispatched(ctx, chain.served(), relayed.ending());
            // The answer a stream assembles holds its text, not its log probabilities: a request that asked for them is not kept.
            boolean keepable = relayed.completion().isPresent() && !ctx.chat().body().path("logprobs").asBoolean(false);
            if (keepable && cached.keeps(ctx, chain.served())) {
                cached.fill(ctx, chain.served(), relayed.completion().get());
            }
            if (keepable && semantic.isPresent() && semantic.get().keeps(ctx, chain.served())) {
                semantic.get().fill(ctx, relayed.completion().get());
            }
            relay.finish(relayed, cost, sink);
        });
    }

    private String logged(ChatContext ctx, String text) {
        return recorder.logsContent(ctx.caller()) ? text : "";
    }

    private TokenCounter tokens() {
        return routingRequests.tokens();
    }

    private Optional<JsonNode> object(byte[] body) {
        try {
            JsonNode n = json.readTree(body);
            return n != null && n.isObject() ? Optional.of(n) : Optional.empty();
        } catch (IOException malformed) {
            return Optional.empty();
        }
    }

    private byte[] bytes(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What a chat pipeline is built from; every port is required, the rest has a named default. */
    public static final class Builder {
        private Authenticator auth;
        private TierRouter router;
        private dev.tiergate.core.dispatch.Dispatcher dispatcher;
        private dev.tiergate.core.config.TiergateConfig config;
        private BudgetGuard guard;
        private TokenCounter tokens;
        private dev.tiergate.core.ports.IdempotencyStore idempotency;
        private dev.tiergate.core.ports.ResponseCache cache;
        private dev.tiergate.core.ports.SemanticCacheStore semanticStore;
        private dev.tiergate.core.ports.PromptEmbedder embedder;
        private dev.tiergate.core.ports.SettlementQueue settlements;
        private java.util.function.Function<String, java.util.List<String>> teamAllowed;
        private GatewaySettings settings;
        private Clock clock = Clock.systemUTC();
        private ObjectMapper json = new ObjectMapper();
        private dev.tiergate.core.observability.RequestObserver observer = dev.tiergate.core.observability.RequestObserver.NONE;
        private Tracer tracer = Tracer.NONE;

        private Builder() {
        }

        public Builder auth(Authenticator auth) { this.auth = auth; return this; }
        public Builder router(TierRouter router) { this.router = router; return this; }
        public Builder dispatcher(dev.tiergate.core.dispatch.Dispatcher dispatcher) { this.dispatcher = dispatcher; return this; }
        /** Also gives the defaults of {@link #settings} (its gateway section) and {@link #teamAllowed} (its teams). */
        public Builder config(dev.tiergate.core.config.TiergateConfig config) { this.config = config; return this; }
        public Builder guard(BudgetGuard guard) { this.guard = guard; return this; }
        public Builder tokens(TokenCounter tokens) { this.tokens = tokens; return this; }
        public Builder idempotency(dev.tiergate.core.ports.IdempotencyStore idempotency) { this.idempotency = idempotency; return this; }
        public Builder cache(dev.tiergate.core.ports.ResponseCache cache) { this.cache = cache; return this; }
        /** Default: no semantic cache, whatever the config says. */
        public Builder semanticCache(dev.tiergate.core.ports.SemanticCacheStore store, dev.tiergate.core.ports.PromptEmbedder embedder) {
            this.semanticStore = java.util.Objects.requireNonNull(store, "store");
            this.embedder = java.util.Objects.requireNonNull(embedder, "embedder");
            return this;
        }
        public Builder settlements(dev.tiergate.core.ports.SettlementQueue settlements) { this.settlements = settlements; return this; }
        /** The tiers a team may use (empty: all); by default the config's. */
        public Builder teamAllowed(java.util.function.Function<String, java.util.List<String>> teamAllowed) { this.teamAllowed = teamAllowed; return this; }
        public Builder settings(GatewaySettings settings) { this.settings = settings; return this; }
        /** Default: the system clock in UTC. */
        public Builder clock(Clock clock) { this.clock = clock; return this; }
        /** Default: a plain {@code ObjectMapper}. */
        public Builder json(ObjectMapper json) { this.json = json; return this; }
        /** Default: nobody observes. */
        public Builder observer(dev.tiergate.core.observability.RequestObserver observer) { this.observer = observer; return this; }
        /** Default: no tracing. */
        public Builder tracer(Tracer tracer) { this.tracer = tracer; return this; }

        public ChatCompletions build() {
            java.util.Objects.requireNonNull(auth, "auth");
            java.util.Objects.requireNonNull(router, "router");
            java.util.Objects.requireNonNull(dispatcher, "dispatcher");
            java.util.Objects.requireNonNull(config, "config");
            java.util.Objects.requireNonNull(guard, "guard");
            java.util.Objects.requireNonNull(tokens, "tokens");
            java.util.Objects.requireNonNull(idempotency, "idempotency");
            java.util.Objects.requireNonNull(cache, "cache");
            java.util.Objects.requireNonNull(settlements, "settlements");
            if (settings == null) settings = config.gateway();
            if (teamAllowed == null) teamAllowed = config::teamAllowedTiers;
            return new ChatCompletions(this);
        }
    }
}
