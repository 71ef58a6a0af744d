package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.money.TierPricing;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.observability.PiiRedactor;
import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.RequestOutcome;
import dev.tiergate.core.observability.Tracer;
import dev.tiergate.core.ports.SettlementQueue;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.TokenCounter;
import dev.tiergate.core.usage.UsageRecord;
import dev.tiergate.core.usage.UsageSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Writes what a chat request leaves behind: its usage record with the settlement of its hold, and its outcome for the
 * observers (metrics, logs, traces). Every request ends in exactly one of {@link #dispatched}, {@link #cacheHit} or
 * {@link #refused}, called from one place in {@link ChatCompletions} per path, so no flag guards against a second.
 */
public final class RequestRecorder {

    private static final System.Logger LOG = System.getLogger(RequestRecorder.class.getName());

    private final SettlementQueue settlements;
    private final BudgetGuard guard;
    private final RequestObserver observer;
    private final Tracer tracer;
    private final TokenCounter tokens;
    private final Set<String> contentTeams;
    private final Clock clock;
    private final PiiRedactor redactor = new PiiRedactor();

    /** @param contentTeams the teams whose prompts and answers are logged, redacted */
    public RequestRecorder(SettlementQueue settlements, BudgetGuard guard, RequestObserver observer, Tracer tracer,
                           TokenCounter tokens, Set<String> contentTeams, Clock clock) {
        this.settlements = settlements;
        this.guard = guard;
        this.observer = observer;
        this.tracer = tracer;
        this.tokens = tokens;
        this.contentTeams = Set.copyOf(contentTeams);
        this.clock = clock;
    }

    /** A request that held money: settles the hold on what it used (or releases it) and returns the cost. */
    Usd dispatched(ChatContext ctx, Served served, Ending end) {
        UsageRecord usage = usageRecord(ctx, served, end.used(), end.status(), end.outcome(), end.source());
        guard.answered(served.reservation());
        try (Tracer.Span span = tracer.span("settle")) {
            settlements.submit(Settlement.of(served.reservation(), usage));
        }
        long ttft = ctx.chat().stream() && end.ttftMs() >= 0 ? end.ttftMs() : usage.latencyMs();
        observe(ctx, served.tier().name(), served.model(), end.status(), end.outcome(), usage.latencyMs(), ttft, end.used(),
                usage.cost(), served.fallbackFrom(), end.answer());
        return usage.cost();
    }

    /** An answer from the cache: free, nothing held, recorded as such. */
    void cacheHit(ChatContext ctx, String answer, Outcome hit) {
        if (!hit.cacheHit()) throw new IllegalArgumentException(hit + " is not a cache hit");
        settlements.submit(new Settlement.RecordOnly(new UsageRecord(ctx.requestId(), ctx.start(), ctx.caller().id(),
                ctx.caller().org(), ctx.caller().team(), ctx.caller().user(), ctx.route().tier().name(), ctx.route().model(),
                TokenUsage.NONE, Usd.ZERO, millisSince(ctx.start()), 200, hit, ctx.chat().stream(), UsageSource.CACHE, "")));
        observe(ctx, ctx.route().tier().name(), ctx.route().model(), 200, hit, millisSince(ctx.start()), 0, TokenUsage.NONE,
                Usd.ZERO, Optional.empty(), answer);
    }

    /** Refused by the budget before anything was held: observed, with no usage record (nothing was used). */
    void refused(ChatContext ctx, int status) {
        observe(ctx.refused(), ctx.route().tier().name(), ctx.route().model(), status, Outcome.BUDGET_REJECTED, 0, 0,
                TokenUsage.NONE, Usd.ZERO, Optional.empty(), "");
    }

    /**
     * Writes a stream's usage so far beside its hold, off the stream's thread, so that if this process dies the
     * sweeper charges those tokens instead of giving the hold back.
     */
    void journal(ChatContext ctx, Served served, CharSequence produced) {
        Reservation held = served.reservation();
        UsageRecord soFar = usageRecord(ctx, served, new TokenUsage(tokens.count(ctx.chat().promptText()),
                tokens.count(produced.toString()), 0), 200, Outcome.INTERRUPTED, UsageSource.ESTIMATED);
        Thread.ofVirtual().name("stream-journal-" + ctx.requestId()).start(() -> {
            try {
                guard.journal(held, soFar);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not journal the stream of {0}: {1}", ctx.requestId(), e.getMessage());
            }
        });
    }

    boolean logsContent(ApiKey caller) {
        return contentTeams.contains(caller.team());
    }

    private UsageRecord usageRecord(ChatContext ctx, Served served, TokenUsage used, int status, Outcome outcome, UsageSource source) {
        ApiKey k = ctx.caller();
        return new UsageRecord(ctx.requestId(), ctx.start(), k.id(), k.org(), k.team(), k.user(), served.tier().name(),
                served.model(), used, TierPricing.cost(served.tier().prices(), used), millisSince(ctx.start()), status, outcome,
                ctx.chat().stream(), source, served.fallbackFrom().orElse(""));
    }

    /** The one place a request's outcome is built. */
    private void observe(ChatContext ctx, String tier, String model, int status, Outcome outcome, long latencyMs, long ttftMs,
                         TokenUsage used, Usd cost, Optional<String> fallbackFrom, String answer) {
        ApiKey k = ctx.caller();
        Optional<RequestOutcome.Content> content = logsContent(k)
                ? Optional.of(new RequestOutcome.Content(redactor.redact(ctx.chat().promptText()), redactor.redact(answer)))
                : Optional.empty();
        observer.observe(new RequestOutcome(ctx.requestId(), ctx.start(),
                k.id(), k.team(), tier, model, status, outcome, ctx.chat().stream(), latencyMs, ttftMs, used, cost,
                outcome.cacheHit(), fallbackFrom, ctx.budgetAction(), ctx.routingScore(), content));
    }

    private long millisSince(Instant start) {
        return Duration.between(start, clock.instant()).toMillis();
    }
}
