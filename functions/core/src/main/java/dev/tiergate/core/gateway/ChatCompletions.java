package dev.tiergate.core.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Authenticator;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.dispatch.Attempted;
import dev.tiergate.core.dispatch.Dispatcher;
import dev.tiergate.core.dispatch.ReplicaSelector;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.budget.BudgetDecision;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.ports.IdempotencyStore;
import dev.tiergate.core.ports.ResponseCache;
import dev.tiergate.core.ports.SettlementQueue;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.dispatch.CacheKey;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteConstraints;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.TokenCounter;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.core.budget.BudgetAction;
import dev.tiergate.core.observability.PiiRedactor;
import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.RequestOutcome;
import dev.tiergate.core.observability.Tracer;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}: authenticate, validate, route, dispatch with a deadline, record usage, answer.
 * A streamed answer passes each upstream event through as it arrives; the upstream is always asked for its usage so
 * that the cost is recorded even when the client did not ask for the usage chunk.
 */
public final class ChatCompletions {

    private static final System.Logger LOG = System.getLogger(ChatCompletions.class.getName());
    private static final String CONTEXT_PREFIX = "This model's maximum context length is";

    private final Authenticator auth;
    private final TierRouter router;
    private final Dispatcher dispatcher;
    private final TiergateConfig config;
    private final BudgetGuard guard;
    private final TokenCounter tokens;
    private final GatewaySettings settings;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;
    private final java.util.function.Function<String, java.util.List<String>> teamAllowed;
    private final IdempotencyStore idempotency;
    private final ResponseCache cache;
    private final SettlementQueue settlements;
    private final CacheKey cacheKeys = new CacheKey();
    private final RequestObserver observer;
    private final Tracer tracer;
    private final PiiRedactor redactor = new PiiRedactor();

    /**
     * @param teamAllowed the tiers a team may use (empty: all)
     */
    public ChatCompletions(Authenticator auth, TierRouter router, Dispatcher dispatcher, TiergateConfig config,
                           BudgetGuard guard, TokenCounter tokens, GatewaySettings settings, Clock clock, ObjectMapper json,
                           java.util.function.Function<String, java.util.List<String>> teamAllowed, IdempotencyStore idempotency,
                           ResponseCache cache, SettlementQueue settlements, RequestObserver observer, Tracer tracer) {
        this.cache = cache;
        this.observer = observer;
        this.tracer = tracer;
        this.settlements = settlements;
        this.teamAllowed = teamAllowed;
        this.idempotency = idempotency;
        this.auth = auth;
        this.router = router;
        this.dispatcher = dispatcher;
        this.config = config;
        this.guard = guard;
        this.tokens = tokens;
        this.settings = settings;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
    }

    /** Everything known about one request once it is routed and its money held; what its usage record is built from. */
    private static final class Dispatch {
        final String requestId;
        final ApiKey caller;
        final ChatRequest chat;
        final RouteDecision route;
        final Instant start;
        /** The money held; grows when a fallback to a pricier tier is covered. */
        volatile Reservation reservation;
        final Optional<String> downgradedFrom;
        /** Set once the usage record is written (settled or released), so a request is never recorded twice. */
        volatile boolean recorded;
        volatile boolean degraded;
        /** The tier and model that actually answered: the routed one, or a fallback. */
        volatile TierConfig servedTier;
        volatile String servedModel;
        /** Where a deterministic answer of the routed tier is cached, when the team caches. */
        volatile Optional<String> cacheKey = Optional.empty();
        volatile java.time.Duration cacheTtl = java.time.Duration.ZERO;
        /** Milliseconds from start to the first token sent to a streaming client; -1 until then. */
        volatile long ttftMs = -1;
        /** The answer's text, kept only when the team logs content. */
        volatile String answer = "";
        final BudgetAction budgetAction;

        boolean cacheable() {
            return cacheKey.isPresent() && fallbackFrom().isEmpty() && !degraded;
        }

        void serve(TierConfig tier, String model) {
            servedTier = tier;
            servedModel = model;
        }

        Optional<String> fallbackFrom() {
            return servedTier != null && servedTier != route.tier() ? Optional.of(route.tier().name()) : Optional.empty();
        }

        Dispatch(String requestId, ApiKey caller, ChatRequest chat, RouteDecision route, Instant start, Reservation reservation,
                 Optional<String> downgradedFrom) {
            this.budgetAction = downgradedFrom.isPresent() ? BudgetAction.DOWNGRADE : BudgetAction.ALLOW;
            this.requestId = requestId;
            this.caller = caller;
            this.chat = chat;
            this.route = route;
            this.start = start;
            this.reservation = reservation;
            this.downgradedFrom = downgradedFrom;
        }

        TierConfig tier() {
            return servedTier != null ? servedTier : route.tier();
        }

        String model() {
            return servedModel != null ? servedModel : route.model();
        }

        String requestId() { return requestId; }
        ApiKey caller() { return caller; }
        ChatRequest chat() { return chat; }
        RouteDecision route() { return route; }
        Instant start() { return start; }
    }

    public ApiResponse handle(ApiRequest request, String requestId) {
        ApiKey caller = auth.authenticate(request.header("Authorization"));
        ChatRequest chat = ChatRequest.from(parse(request.body()));
        Optional<String> idem = request.header("Idempotency-Key").map(String::trim);
        if (idem.isEmpty()) return dispatch(caller, chat, request, requestId, Optional.empty());
        String k = idem.get();
        if (k.isEmpty() || k.length() > 255 || !k.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw OpenAiError.invalidRequest("The Idempotency-Key header must be 1 to 255 visible ASCII characters.", "Idempotency-Key").failure();
        }
        String hash = dev.tiergate.core.auth.KeySecrets.hash(new String(request.body(), java.nio.charset.StandardCharsets.UTF_8));
        return switch (idempotency.begin(caller.id(), k, hash, clock.instant().plus(Duration.ofHours(24)))) {
            case IdempotencyStore.Replay r -> responses.raw(r.status(), r.body(), Map.of(Responses.REQUEST_ID, requestId,
                    "x-tiergate-idempotent-replay", "true", "content-type", r.contentType()));
            case IdempotencyStore.InProgress p -> throw new OpenAiError(409, "invalid_request_error", "A request with this "
                    + "Idempotency-Key is still in progress; retry when it has finished.", Optional.of("Idempotency-Key"),
                    Optional.of("idempotency_in_progress")).failure();
            case IdempotencyStore.Mismatch m -> throw new OpenAiError(422, "invalid_request_error", "This Idempotency-Key "
                    + "was used for a different request body.", Optional.of("Idempotency-Key"), Optional.of("idempotency_key_reused")).failure();
            case IdempotencyStore.Started s -> {
                try {
                    yield remembered(caller, k, dispatch(caller, chat, request, requestId, Optional.of(k)));
                } catch (RuntimeException e) {
                    idempotency.abandon(caller.id(), k);
                    throw e;
                }
            }
        };
    }

    /** Stores a whole answer for replay; a streamed one is stored by its pump when it ends well. */
    private ApiResponse remembered(ApiKey caller, String key, ApiResponse response) {
        if (response instanceof ApiResponse.Whole w) {
            if (w.status() == 200) idempotency.complete(caller.id(), key, 200, "application/json", w.body());
            else idempotency.abandon(caller.id(), key);
        }
        return response;
    }

    private ApiResponse dispatch(ApiKey caller, ChatRequest chat, ApiRequest request, String requestId, Optional<String> idemKey) {
        if (chat.messageCount() > settings.maxMessages()) {
            throw OpenAiError.invalidRequest("'messages' has " + chat.messageCount() + " messages; the limit is " + settings.maxMessages() + ".", "messages").failure();
        }
        if (chat.choices() > settings.maxN()) {
            throw OpenAiError.invalidRequest("'n' must be a whole number from 1 to " + settings.maxN() + ".", "n").failure();
        }
        RoutingRequest rr = routingRequest(caller, chat, request);
        RouteDecision routed;
        try (Tracer.Span span = tracer.span("routing")) {
            routed = router.route(rr);
            span.annotate("tier", routed.tier().name());
        }
        long ttl = config.cacheTtlSeconds(caller.team());
        Optional<String> cacheKeyFor = ttl > 0 ? cacheKeys.of(chat.body(), caller.team(), routed.tier().name(), routed.model()) : Optional.empty();
        if (cacheKeyFor.isPresent()) {
            Optional<byte[]> hit = cache.find(caller.team(), cacheKeyFor.get());
            if (hit.isPresent()) return fromCache(caller, chat, routed, requestId, hit.get());
        }
        Instant start = clock.instant();
        Instant deadline = start.plusMillis(settings.requestTimeoutMs());
        BudgetDecision decision;
        try (Tracer.Span span = tracer.span("budget")) {
            decision = guard.decide(caller, rr, routed, requestId, deadline);
        }
        Dispatch d = switch (decision) {
            case BudgetDecision.Reject r -> {
                observer.observe(new RequestOutcome(requestId, start, caller.id(), caller.team(), routed.tier().name(),
                        routed.model(), r.error().status(), Outcome.BUDGET_REJECTED, chat.stream(), 0, 0, TokenUsage.NONE, Usd.ZERO,
                        false, Optional.empty(), BudgetAction.REJECT, score(routed), Optional.empty()));
                throw r.error().failure();
            }
            case BudgetDecision.Allow a -> new Dispatch(requestId, caller, chat, a.route(), start, a.reservation(), Optional.empty());
            case BudgetDecision.Downgrade g -> new Dispatch(requestId, caller, chat, g.route(), start, g.reservation(), Optional.of(g.fromTier()));
        };
        if (d.route.tier() == routed.tier()) {
            d.cacheKey = cacheKeyFor;
            d.cacheTtl = java.time.Duration.ofSeconds(ttl);
        }
        try {
            Failover chain = new Failover(d, rr, deadline, ReplicaSelector.affinity(chat.promptText()));
            return chat.stream() ? stream(d, chain, idemKey) : whole(d, chain);
        } catch (OpenAiError.Failure f) {
            if (!d.recorded) record(d, TokenUsage.NONE, f.error().status(), Outcome.REJECTED, UsageSource.UPSTREAM);
            throw f;
        } catch (RuntimeException e) {
            if (!d.recorded) record(d, TokenUsage.NONE, 500, Outcome.GATEWAY_ERROR, UsageSource.UPSTREAM);
            throw e;
        }
    }

    /**
     * The routed tier, then its fallbacks in order, each tried through the dispatcher. A fallback tier whose worst case
     * costs more than the money held for the request is passed over, so a fallback can never break a budget.
     */
    private final class Failover {
        private final Dispatch d;
        private final RoutingRequest rr;
        private final Instant deadline;
        private final long affinity;
        private final java.util.List<TierConfig> tiers = new java.util.ArrayList<>();
        private final boolean degraded;
        private final boolean cached;
        private int next;
        private Attempted.Failed lastFailure = new Attempted.Failed(502, "no tier was tried");
        /** Replicas of the current tier that broke during this request: never tried again by it. */
        private final java.util.Set<URI> broken = new java.util.HashSet<>();

        Failover(Dispatch d, RoutingRequest rr, Instant deadline, long affinity) {
            this.d = d;
            this.rr = rr;
            this.deadline = deadline;
            this.affinity = affinity;
            TierConfig primary = d.route.tier();
            tiers.add(primary);
            boolean deg = false;
            boolean cached = false;
            for (String f : primary.fallbacks()) {
                if (f.equals(TierConfig.DEGRADED)) deg = true;
                else if (f.equals(TierConfig.CACHE)) cached = true;
                else config.tier(f).ifPresent(tiers::add);
            }
            this.degraded = deg && settings.degradedMessage().isPresent();
            this.cached = cached;
        }

        /** The next answer (or opened stream), trying tiers in order; empty when every tier failed. */
        Optional<Attempted> next(java.util.Set<URI> avoid) {
            while (next < tiers.size()) {
                TierConfig tier = tiers.get(next);
                boolean primary = next == 0;
                if (!primary) {
                    // A pricier fallback needs more money held: top the reservation up, or pass the tier over.
                    Usd needed = guard.worstCase(tier, rr);
                    Optional<Reservation> covered = guard.cover(d.reservation, needed);
                    if (covered.isEmpty()) {
                        next++;
                        continue;
                    }
                    d.reservation = covered.get();
                }
                String model = primary ? d.route.model() : tier.model();
                byte[] body = upstreamBody(d.chat, model, guard.outputTokens(rr, tier));
                broken.addAll(avoid);
                Attempted a;
                try (Tracer.Span span = tracer.span("dispatch")) {
                    span.annotate("tier", tier.name());
                    a = dispatcher.send(tier, "/v1/chat/completions", body, affinity, deadline, d.chat.stream(), broken);
                }
                switch (a) {
                    case Attempted.Failed f -> {
                        lastFailure = f;
                        next++;
                        broken.clear();
                        avoid = java.util.Set.of();
                    }
                    default -> {
                        d.serve(tier, model);
                        return Optional.of(a);
                    }
                }
            }
            return Optional.empty();
        }

        /** After a failure of the tier now serving, go on from where the chain is. */
        Optional<Attempted> retryAfterBreak(URI broken) {
            return next(java.util.Set.of(broken));
        }

        OpenAiError exhausted() {
            return OpenAiError.upstream(lastFailure.status(), "Tier '" + d.route.tier().name() + "'"
                    + (tiers.size() > 1 ? " and its fallbacks" : "") + " could not answer: " + lastFailure.reason() + ".");
        }
    }

    private JsonNode parse(byte[] body) {
        return dev.tiergate.core.protocol.JsonBody.parse(body).orElseThrow(
                () -> OpenAiError.invalidRequest("The request body is empty; send a JSON object.", null).failure());
    }

    /** What the router needs: the latest user turn to classify, the whole prompt's tokens, the caller's limits. */
    RoutingRequest routingRequest(ApiKey caller, ChatRequest chat, ApiRequest request) {
        RouteConstraints constraints = RouteConstraints.from(chat.body(), request::header);
        // The chat template adds a few tokens per message around the text itself, and renders the tools' definitions.
        int promptTokens = tokens.count(chat.promptText()) + 4 * chat.messageCount()
                + (chat.toolsText().isEmpty() ? 0 : tokens.count(chat.toolsText()) + 16);
        return new RoutingRequest(chat.model(), chat.lastUserText(), promptTokens, chat.maxTokens(), constraints,
                caller.allowedTiers(), teamAllowed.apply(caller.team()), caller.team(), caller.user(), Optional.empty(),
                chat.choices(), chat.mediaParts());
    }

    /** The body the upstream gets: the tier's model, no tiergate fields, and the output bound the budget reserved. */
    private byte[] upstreamBody(ChatRequest chat, String model, int outputTokens) {
        // A copy of the top level only (the messages are shared, not copied): only top-level fields change, and the
        // one nested object that does, stream_options, is copied before it changes.
        ObjectNode body = json.createObjectNode().setAll(chat.body());
        body.remove(RouteConstraints.BODY_FIELD);
        body.put("model", model);
        if (chat.maxTokens().isEmpty()) body.put("max_tokens", outputTokens);
        if (chat.stream()) {
            ObjectNode options = chat.body().get("stream_options") instanceof ObjectNode o ? o.deepCopy() : json.createObjectNode();
            options.put("include_usage", true);
            body.set("stream_options", options);
        }
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private ApiResponse whole(Dispatch d, Failover chain) {
        Optional<Attempted> got = chain.next(java.util.Set.of());
        JsonNode answer;
        Upstream.Reply reply;
        while (true) {
            if (got.isEmpty()) return degradedOrFail(d, chain);
            Attempted.Answered a = switch (got.get()) {
                case Attempted.Answered ok -> ok;
                case Attempted.Rejected r -> throw rejected(d, r.status(), r.body());
                default -> throw new IllegalStateException("a whole request cannot open a stream");
            };
            reply = a.reply();
            try {
                answer = json.readTree(reply.body());
                if (answer != null && answer.isObject()) break;
            } catch (IOException malformed) {
                // fall through: a broken answer is the replica's fault
            }
            dispatcher.reportBroken(a.replica(), java.time.Duration.ZERO);
            got = chain.retryAfterBreak(a.replica());
        }
        JsonNode usage = answer == null ? null : answer.get("usage");
        TokenUsage used;
        UsageSource source = UsageSource.UPSTREAM;
        if (usage != null && usage.isObject()) {
            used = usage(usage);
        } else {
            source = UsageSource.ESTIMATED;
            used = new TokenUsage(tokens.count(d.chat().promptText()), tokens.count(answer == null ? "" : answer.at("/choices/0/message/content").asText("")), 0);
        }
        if (logsContent(d.caller())) d.answer = answer.at("/choices/0/message/content").asText("");
        Usd cost = record(d, used, 200, Outcome.OK, source);
        Map<String, String> headers = headers(d);
        headers.put(Responses.COST, cost.plain());
        if (d.cacheable()) {
            headers.put(Responses.CACHE, "miss");
            fill(d, reply.body());
        }
        return responses.raw(200, reply.body(), headers);
    }

    /** Stores the answer for exact repeats, off the request path. */
    private void fill(Dispatch d, byte[] completion) {
        String team = d.caller().team();
        String key = d.cacheKey.orElseThrow();
        String tier = d.tier().name();
        java.time.Duration ttl = d.cacheTtl;
        Thread.ofVirtual().start(() -> {
            try {
                cache.put(team, key, tier, completion, ttl);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not cache the answer of {0}: {1}", d.requestId(), e.getMessage());
            }
        });
    }

    /** A cache hit: free, marked, recorded, and in the shape the client asked for. */
    private ApiResponse fromCache(ApiKey caller, ChatRequest chat, RouteDecision routed, String requestId, byte[] stored) {
        Instant now = clock.instant();
        settlements.submit(new Settlement.RecordOnly(new UsageRecord(requestId, now, caller.id(), caller.org(), caller.team(),
                caller.user(), routed.tier().name(), routed.model(), TokenUsage.NONE, Usd.ZERO, 0, 200, Outcome.CACHE_HIT,
                chat.stream(), UsageSource.CACHE, "")));
        observer.observe(new RequestOutcome(requestId, now, caller.id(), caller.team(), routed.tier().name(), routed.model(),
                200, Outcome.CACHE_HIT, chat.stream(), 0, 0, TokenUsage.NONE, Usd.ZERO, true, Optional.empty(), BudgetAction.NONE,
                score(routed), content(caller, chat, stored)));
        return fromCacheResponse(caller, chat, routed, requestId, stored);
    }

    private ApiResponse fromCacheResponse(ApiKey caller, ChatRequest chat, RouteDecision routed, String requestId, byte[] stored) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(Responses.REQUEST_ID, requestId);
        headers.put(Responses.TIER, routed.tier().name());
        headers.put(Responses.CACHE, "hit");
        headers.put(Responses.COST, "0");
        if (!chat.stream()) return responses.raw(200, stored, headers);
        JsonNode c;
        try {
            c = json.readTree(stored);
        } catch (IOException e) {
            throw new IllegalStateException("a cached answer is not JSON", e);
        }
        headers.put("content-type", "text/event-stream; charset=utf-8");
        return new ApiResponse.EventStream(200, headers, sink -> {
            ObjectNode role = chunk(c, json.createObjectNode().put("role", "assistant").put("content", ""), null);
            sink.data(json.writeValueAsString(role));
            sink.data(json.writeValueAsString(chunk(c, json.createObjectNode().put("content", c.at("/choices/0/message/content").asText("")),
                    c.at("/choices/0/finish_reason").asText("stop"))));
            if (chat.clientWantsUsage()) {
                ObjectNode u = json.createObjectNode();
                u.put("id", c.path("id").asText());
                u.put("object", "chat.completion.chunk");
                u.put("created", c.path("created").asLong());
                u.put("model", c.path("model").asText());
                u.putArray("choices");
                u.set("usage", c.path("usage").deepCopy());
                sink.data(json.writeValueAsString(u));
            }
            sink.data("[DONE]");
        });
    }

    private ObjectNode chunk(JsonNode completion, ObjectNode delta, String finishReason) {
        ObjectNode o = json.createObjectNode();
        o.put("id", completion.path("id").asText());
        o.put("object", "chat.completion.chunk");
        o.put("created", completion.path("created").asLong());
        o.put("model", completion.path("model").asText());
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason);
        return o;
    }

    /** Every tier failed: the configured polite answer, marked degraded and free, or the failure itself. */
    private ApiResponse degradedOrFail(Dispatch d, Failover chain) {
        if (chain.cached && d.cacheKey.isPresent()) {
            Optional<byte[]> stale = cache.find(d.caller().team(), d.cacheKey.get(), true);
            if (stale.isPresent()) {
                record(d, TokenUsage.NONE, 200, Outcome.CACHE_FALLBACK, UsageSource.CACHE);
                ApiResponse r = fromCacheResponse(d.caller(), d.chat(), d.route(), d.requestId(), stale.get());
                Map<String, String> h = new LinkedHashMap<>(r.headers());
                h.put(Responses.FALLBACK_FROM, d.route().tier().name());
                return switch (r) {
                    case ApiResponse.Whole w -> new ApiResponse.Whole(w.status(), h, w.body());
                    case ApiResponse.EventStream s -> new ApiResponse.EventStream(s.status(), h, s.body());
                };
            }
        }
        if (!chain.degraded) {
            OpenAiError e = chain.exhausted();
            record(d, TokenUsage.NONE, e.status(), Outcome.UPSTREAM_ERROR, UsageSource.UPSTREAM);
            throw e.failure();
        }
        String message = settings.degradedMessage().orElseThrow();
        d.degraded = true;
        record(d, TokenUsage.NONE, 200, Outcome.DEGRADED, UsageSource.NONE);
        Map<String, String> headers = headers(d);
        headers.put(Responses.DEGRADED, "true");
        headers.put(Responses.COST, "0");
        ObjectNode c = json.createObjectNode();
        c.put("id", "chatcmpl-" + d.requestId());
        c.put("object", d.chat().stream() ? "chat.completion.chunk" : "chat.completion");
        c.put("created", clock.instant().getEpochSecond());
        c.put("model", "tiergate-degraded");
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject(d.chat().stream() ? "delta" : "message").put("role", "assistant").put("content", message);
        choice.put("finish_reason", "stop");
        if (!d.chat().stream()) {
            c.putObject("usage").put("prompt_tokens", 0).put("completion_tokens", 0).put("total_tokens", 0);
            return responses.json(200, c, headers);
        }
        headers.put("content-type", "text/event-stream; charset=utf-8");
        return new ApiResponse.EventStream(200, headers, sink -> {
            sink.data(json.writeValueAsString(c));
            sink.data("[DONE]");
        });
    }

    private ApiResponse stream(Dispatch d, Failover chain, Optional<String> idemKey) {
        Optional<Attempted> got = chain.next(java.util.Set.of());
        if (got.isEmpty()) return degradedOrFail(d, chain);
        Attempted.Opened opened = switch (got.get()) {
            case Attempted.Opened o -> o;
            case Attempted.Rejected r -> throw rejected(d, r.status(), r.body());
            default -> throw new IllegalStateException("a stream request got a whole answer");
        };
        Attempted.Opened first = opened;
        Map<String, String> headers = headers(d);
        headers.put("content-type", "text/event-stream; charset=utf-8");
        headers.put("cache-control", "no-cache");
        if (idemKey.isEmpty()) return new ApiResponse.EventStream(200, headers, sink -> pump(d, first, chain, sink));
        return new ApiResponse.EventStream(200, headers, sink -> {
            StringBuilder sse = new StringBuilder();
            ApiResponse.EventSink both = new ApiResponse.EventSink() {
                @Override
                public void data(String data) throws IOException {
                    sse.append("data: ").append(data).append("\n\n");
                    sink.data(data);
                }

                @Override
                public void comment(String text) throws IOException {
                    sse.append(": ").append(text).append("\n\n");
                    sink.comment(text);
                }
            };
            Outcome outcome = pump(d, first, chain, both);
            if (outcome == Outcome.OK) {
                idempotency.complete(d.caller().id(), idemKey.get(), 200, "text/event-stream; charset=utf-8",
                        sse.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                idempotency.abandon(d.caller().id(), idemKey.get());
            }
        });
    }

    /**
     * Relays the upstream's events, then records what the request used and ends the stream; returns the outcome.
     * Events are held back until the first one that carries a token: if the upstream fails before that, nothing has
     * reached the client and the request fails over (another replica, then the fallback tiers) transparently. After
     * that, a failure ends the stream with an error event the OpenAI SDKs raise, and the tokens produced are charged.
     */
    private Outcome pump(Dispatch d, Attempted.Opened opened, Failover chain, ApiResponse.EventSink sink) throws IOException {
        TokenUsage reported = null;
        StringBuilder produced = new StringBuilder();
        Outcome outcome = null;
        OpenAiError failure = null;
        java.util.List<String> held = new java.util.ArrayList<>();
        boolean started = false;
        String finishReason = null;
        Attempted.Opened current = opened;
        long openedAt = System.nanoTime();
        Instant journaledAt = clock.instant();
        try {
            while (true) {
                String line;
                String broke = null;
                try {
                    line = current.stream().nextLine();
                    if (line == null) broke = "ended the stream before it was complete";
                } catch (IOException e) {
                    line = null;
                    broke = "broke the stream mid-answer: " + e.getMessage();
                }
                JsonNode chunk = null;
                String data = null;
                if (broke == null) {
                    if (!line.startsWith("data:")) continue;
                    data = line.substring(5).trim();
                    if (data.equals("[DONE]")) {
                        outcome = Outcome.OK;
                        for (String h : held) sink.data(h);
                        held.clear();
                        break;
                    }
                    try {
                        chunk = json.readTree(data);
                        if (chunk.has("error")) broke = "failed mid-answer: " + chunk.path("error").path("message").asText(chunk.path("error").asText());
                    } catch (IOException e) {
                        broke = "sent a malformed stream event";
                    }
                }
                if (broke != null) {
                    dispatcher.reportBroken(current.replica(), java.time.Duration.ofNanos(System.nanoTime() - openedAt));
                    current.stream().close();
                    current.lease().close();
                    if (!started) {
                        Optional<Attempted> again = chain.retryAfterBreak(current.replica());
                        if (again.isPresent() && again.get() instanceof Attempted.Opened o) {
                            current = o;
                            openedAt = System.nanoTime();
                            held.clear();
                            reported = null;
                            continue;
                        }
                    }
                    outcome = Outcome.STREAM_BROKEN;
                    failure = OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' " + broke + ".");
                    break;
                }
                JsonNode usage = chunk.get("usage");
                boolean usageOnly = usage != null && usage.isObject() && chunk.path("choices").isEmpty();
                if (usage != null && usage.isObject()) reported = usage(usage);
                boolean tokenBearing = false;
                for (JsonNode c : chunk.path("choices")) {
                    String t = c.path("delta").path("content").asText("");
                    produced.append(t);
                    if (c.hasNonNull("finish_reason")) finishReason = c.get("finish_reason").asText();
                    if (!t.isEmpty() || !c.path("finish_reason").isNull() && c.has("finish_reason")) tokenBearing = true;
                }
                if (usageOnly && !d.chat().clientWantsUsage()) continue;
                if (!started) {
                    held.add(data);
                    if (!tokenBearing && !usageOnly) continue;
                    started = true;
                    d.ttftMs = Duration.between(d.start(), clock.instant()).toMillis();
                    try {
                        for (String h : held) sink.data(h);
                    } catch (IOException clientGone) {
                        outcome = Outcome.CLIENT_DISCONNECTED;
                        break;
                    }
                    held.clear();
                    continue;
                }
                try {
                    sink.data(data);
                } catch (IOException clientGone) {
                    outcome = Outcome.CLIENT_DISCONNECTED;
                    break;
                }
                if (tokenBearing && !clock.instant().isBefore(journaledAt.plusMillis(settings.streamJournalMs()))) {
                    journaledAt = clock.instant();
                    journal(d, produced);
                }
            }
        } finally {
            current.stream().close();
            current.lease().close();
        }
        TokenUsage used = reported != null ? reported
                : new TokenUsage(tokens.count(d.chat().promptText()), tokens.count(produced.toString()), 0);
        if (failure != null && !started) used = TokenUsage.NONE;
        if (logsContent(d.caller())) d.answer = produced.toString();
        Usd cost = record(d, used, 200, outcome, reported != null ? UsageSource.UPSTREAM : UsageSource.ESTIMATED);
        if (outcome == Outcome.OK && d.cacheable() && finishReason != null) {
            ObjectNode c = json.createObjectNode();
            c.put("id", "chatcmpl-" + d.requestId());
            c.put("object", "chat.completion");
            c.put("created", clock.instant().getEpochSecond());
            c.put("model", d.model());
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", produced.toString());
            choice.put("finish_reason", finishReason);
            c.putObject("usage").put("prompt_tokens", used.promptTokens()).put("completion_tokens", used.completionTokens())
                    .put("total_tokens", used.totalTokens());
            fill(d, json.writeValueAsBytes(c));
        }
        if (outcome == Outcome.CLIENT_DISCONNECTED) return outcome;
        if (failure != null) {
            sink.data(json.writeValueAsString(failure.toJson(json)));
        } else {
            sink.comment("tiergate-cost-usd " + cost.plain());
        }
        sink.data("[DONE]");
        return outcome;
    }

    private TokenUsage usage(JsonNode u) {
        return new TokenUsage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0),
                u.path("prompt_tokens_details").path("cached_tokens").asInt(0));
    }

    /** Maps an upstream's error answer to the client's: its own mistakes stay 4xx, the fleet's become 502. */
    private OpenAiError.Failure rejected(Dispatch d, int status, byte[] body) {
        String message = upstreamMessage(body);
        if (status == 400) {
            record(d, TokenUsage.NONE, 400, Outcome.REJECTED, UsageSource.UPSTREAM);
            String code = message.startsWith(CONTEXT_PREFIX) ? "context_length_exceeded" : "invalid_request";
            return new OpenAiError(400, "invalid_request_error", message, java.util.Optional.of("messages"),
                    java.util.Optional.of(code)).failure();
        }
        record(d, TokenUsage.NONE, 502, Outcome.UPSTREAM_ERROR, UsageSource.UPSTREAM);
        LOG.log(System.Logger.Level.WARNING, "request {0}: tier {1} answered {2}: {3}", d.requestId(), d.tier().name(), status, message);
        return OpenAiError.upstream(502, "Tier '" + d.tier().name() + "' answered HTTP " + status + ": " + message).failure();
    }

    private String upstreamMessage(byte[] body) {
        try {
            JsonNode n = json.readTree(body);
            if (n == null) return "(empty body)";
            JsonNode err = n.get("error");
            if (err != null && err.isObject()) return err.path("message").asText("(no message)");
            if (err != null && err.isTextual()) return err.asText();
            if (n.has("message")) return n.get("message").asText();
            return n.toString();
        } catch (IOException e) {
            return new String(body, 0, Math.min(body.length, 200), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * Hands the request's usage record, with its settlement (tokens were produced) or release (none were), to the
     * settlement queue: one ledger write, now or behind the answer; a request is recorded once whatever path it takes.
     */
    private UsageRecord usageRecord(Dispatch d, TokenUsage used, int status, Outcome outcome, UsageSource source) {
        ApiKey k = d.caller();
        return new UsageRecord(d.requestId(), d.start(), k.id(), k.org(), k.team(), k.user(), d.tier().name(),
                d.model(), used, TierPricing.cost(d.tier().prices(), used), Duration.between(d.start(), clock.instant()).toMillis(),
                status, outcome, d.chat().stream(), source, d.fallbackFrom().orElse(""));
    }

    /**
     * Writes the stream's usage so far beside its hold, off the stream's thread, so that if this process dies the
     * sweeper charges those tokens instead of giving the hold back.
     */
    private void journal(Dispatch d, CharSequence produced) {
        Reservation held = d.reservation;
        UsageRecord soFar = usageRecord(d, new TokenUsage(tokens.count(d.chat().promptText()), tokens.count(produced.toString()), 0),
                200, Outcome.INTERRUPTED, UsageSource.ESTIMATED);
        Thread.ofVirtual().name("stream-journal-" + d.requestId()).start(() -> {
            try {
                guard.journal(held, soFar);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not journal the stream of {0}: {1}", d.requestId(), e.getMessage());
            }
        });
    }

    private Usd record(Dispatch d, TokenUsage used, int status, Outcome outcome, UsageSource source) {
        Usd cost = TierPricing.cost(d.tier().prices(), used);
        if (d.recorded) return cost;
        d.recorded = true;
        UsageRecord usage = usageRecord(d, used, status, outcome, source);
        long latency = usage.latencyMs();
        ApiKey k = d.caller();
        try (Tracer.Span span = tracer.span("settle")) {
            settlements.submit(Settlement.of(d.reservation, usage));
        }
        long ttft = d.chat().stream() && d.ttftMs >= 0 ? d.ttftMs : latency;
        Optional<RequestOutcome.Content> content = logsContent(k)
                ? Optional.of(new RequestOutcome.Content(redactor.redact(d.chat().promptText()), redactor.redact(d.answer)))
                : Optional.empty();
        observer.observe(new RequestOutcome(d.requestId(), d.start(), k.id(), k.team(), d.tier().name(), d.model(), status,
                outcome, d.chat().stream(), latency, ttft, used, cost, false, d.fallbackFrom(), d.budgetAction,
                score(d.route()), content));
        return cost;
    }

    private boolean logsContent(ApiKey caller) {
        return config.observability().contentLogTeams().contains(caller.team());
    }

    private Optional<RequestOutcome.Content> content(ApiKey caller, ChatRequest chat, byte[] stored) {
        if (!logsContent(caller)) return Optional.empty();
        String answer;
        try {
            answer = json.readTree(stored).at("/choices/0/message/content").asText("");
        } catch (IOException e) {
            answer = "";
        }
        return Optional.of(new RequestOutcome.Content(redactor.redact(chat.promptText()), redactor.redact(answer)));
    }

    private static java.util.OptionalDouble score(RouteDecision route) {
        return route.classification().map(c -> java.util.OptionalDouble.of(c.score())).orElse(java.util.OptionalDouble.empty());
    }

    private Map<String, String> headers(Dispatch d) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(Responses.REQUEST_ID, d.requestId());
        h.put(Responses.TIER, d.tier().name());
        d.route().classification().ifPresent(c -> {
            h.put(Responses.COMPLEXITY, c.complexity().wire());
            h.put(Responses.COMPLEXITY_SCORE, Double.toString(c.score()));
        });
        d.route().shadowOf().ifPresent(t -> h.put(Responses.SHADOW_TIER, t.name()));
        d.downgradedFrom.ifPresent(t -> h.put(Responses.DOWNGRADED_FROM, t));
        d.fallbackFrom().ifPresent(t -> h.put(Responses.FALLBACK_FROM, t));
        if (!d.model().equals(d.tier().model())) h.put(Responses.MODEL, d.model());
        return h;
    }
}
