package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.dispatch.Attempted;
import dev.tiergate.core.dispatch.Dispatcher;
import dev.tiergate.core.dispatch.ReplicaSelector;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.observability.Tracer;
import dev.tiergate.core.protocol.ChatRequest;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteConstraints;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that decides what is tried again, and where. For each request: the routed tier, then its fallback
 * tiers in order, each through the {@link Dispatcher} (which retries the tier's replicas on what a retry can fix).
 * A fallback whose worst case costs more than the money held is covered by topping the hold up, or passed over, so
 * a fallback never breaks a budget. A replica whose answer broke (malformed, or a stream cut before its first token)
 * is reported here and the chain goes on without it. The {@code cache} and {@code degraded} entries of a tier's
 * fallbacks are the last resorts, after every tier.
 */
public final class FailoverChain {

    private final TiergateConfig config;
    private final BudgetGuard guard;
    private final Dispatcher dispatcher;
    private final GatewaySettings settings;
    private final Tracer tracer;
    private final ObjectMapper json;

    public FailoverChain(TiergateConfig config, BudgetGuard guard, Dispatcher dispatcher, GatewaySettings settings,
                         Tracer tracer, ObjectMapper json) {
        this.config = config;
        this.guard = guard;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.tracer = tracer;
        this.json = json;
    }

    /** The chain for one request whose money is {@code held}. */
    Run start(ChatContext ctx, Reservation held) {
        return new Run(ctx, held);
    }

    /** What a client is told to wait when the routed tier has no replica yet. */
    static final long NO_REPLICA_RETRY_SECONDS = 60;

    /** One request's way along the chain; used by that request's thread only. */
    final class Run {
        private final ChatContext ctx;
        private final long affinity;
        private final List<TierConfig> tiers = new ArrayList<>();
        private final boolean degraded;
        private final boolean staleCache;
        private int next;
        /** The tier answering now (the routed one until a fallback answers) and the money held, which top-ups grow. */
        private Served served;
        private Attempted.Failed lastFailure = new Attempted.Failed(502, "no tier was tried");
        /** The routed tier had no replica to try: a fleet scaling from zero, whose instance may come. */
        private boolean routedTierEmpty;
        /** Replicas of the current tier that broke during this request: never tried again by it. */
        private final Set<URI> broken = new HashSet<>();

        private Run(ChatContext ctx, Reservation held) {
            this.ctx = ctx;
            this.affinity = ReplicaSelector.affinity(ctx.chat().promptText());
            TierConfig primary = ctx.route().tier();
            this.served = new Served(primary, ctx.route().model(), held, Optional.empty());
            tiers.add(primary);
            boolean deg = false;
            boolean stale = false;
            for (String f : primary.fallbacks()) {
                if (f.equals(TierConfig.DEGRADED)) deg = true;
                else if (f.equals(TierConfig.CACHE)) stale = true;
                else config.tier(f).filter(t -> serves(t, ctx.chat().endpoint())).ifPresent(tiers::add);
            }
            this.degraded = deg && settings.degradedMessage().isPresent();
            this.staleCache = stale;
        }

        /** The first answer (or opened stream); empty when every tier failed. */
        Optional<Attempted> first() {
            return advance();
        }

        /**
         * The replica that was answering broke before anything reached the client: its breaker counts it, and the
         * chain goes on from where it is (another replica of the tier, then the next tiers).
         */
        Optional<Attempted> afterBreak(URI replica, Duration took) {
            dispatcher.reportBroken(replica, took);
            broken.add(replica);
            return advance();
        }

        /** A stream broke after the client got tokens: only the breaker learns of it. */
        void broke(URI replica, Duration took) {
            dispatcher.reportBroken(replica, took);
        }

        Served served() {
            return served;
        }

        boolean allowsDegraded() {
            return degraded;
        }

        boolean allowsStaleCache() {
            return staleCache;
        }

        OpenAiError exhausted() {
            if (routedTierEmpty) {
                // Its demand is what scales it from zero: a new replica takes minutes, and the client may come back.
                return OpenAiError.upstream(503, "Tier '" + ctx.route().tier().name() + "' has no replica running"
                        + (tiers.size() > 1 ? " and its fallbacks could not answer (" + lastFailure.reason() + ")" : "")
                        + "; one is being started. Retry in a minute.").retryAfter(NO_REPLICA_RETRY_SECONDS);
            }
            return OpenAiError.upstream(lastFailure.status(), "Tier '" + ctx.route().tier().name() + "'"
                    + (tiers.size() > 1 ? " and its fallbacks" : "") + " could not answer: " + lastFailure.reason() + ".");
        }

        private Optional<Attempted> advance() {
            while (next < tiers.size()) {
                TierConfig tier = tiers.get(next);
                boolean primary = next == 0;
                if (!primary) {
                    // A pricier fallback needs more money held: top the reservation up, or pass the tier over.
                    Usd needed = guard.worstCase(tier, ctx.routing());
                    Optional<Reservation> covered = guard.cover(served.reservation(), needed);
                    if (covered.isEmpty()) {
                        next++;
                        continue;
                    }
                    served = new Served(served.tier(), served.model(), covered.get(), served.fallbackFrom());
                }
                String model = primary ? ctx.route().model() : tier.model();
                byte[] body = upstreamBody(ctx.chat(), model, guard.outputTokens(ctx.routing(), tier));
                Attempted a;
                try (Tracer.Span span = tracer.span("dispatch")) {
                    span.annotate("tier", tier.name());
                    a = dispatcher.send(tier, ctx.chat().endpoint().path(), body, affinity, ctx.deadline(), ctx.chat().stream(), broken);
                }
                if (!(a instanceof Attempted.Failed f)) {
                    served = new Served(tier, model, served.reservation(), primary ? Optional.empty() : Optional.of(ctx.route().tier().name()));
                    return Optional.of(a);
                }
                lastFailure = f;
                if (primary && f.noReplica()) routedTierEmpty = true;
                next++;
                broken.clear();
            }
            return Optional.empty();
        }
    }

    /** A fallback must answer on the request's endpoint: an embedding model does not chat, a chat model does not embed. */
    private static boolean serves(TierConfig tier, dev.tiergate.core.protocol.Endpoint endpoint) {
        return endpoint.generates() ? tier.generates()
                : tier.capabilities().contains(dev.tiergate.core.protocol.Endpoint.EMBEDDINGS_CAPABILITY);
    }

    /** The body the upstream gets: the tier's model, no tiergate fields, and the output bound the budget reserved. */
    private byte[] upstreamBody(ChatRequest chat, String model, int outputTokens) {
        // A copy of the top level only (the messages are shared, not copied): only top-level fields change, and the
        // one nested object that does, stream_options, is copied before it changes.
        ObjectNode body = json.createObjectNode().setAll(chat.body());
        body.remove(RouteConstraints.BODY_FIELD);
        body.put("model", model);
        if (chat.maxTokens().isEmpty() && chat.endpoint().generates()) body.put("max_tokens", outputTokens);
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
}
