package dev.tiergate.core.budget;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.config.BudgetSettings;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.routing.RouteDecision;
import dev.tiergate.core.routing.RoutingRequest;
import dev.tiergate.core.routing.TierRouter;
import dev.tiergate.core.usage.UsageRecord;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether a routed request may spend: estimates its worst-case cost, checks per-request limits, and holds
 * that amount on every scope and period in one atomic ledger write. When a scope's budget says downgrade, a refused
 * request is routed again at most to the next cheaper tier and tried there; otherwise it is refused with the scope,
 * the period and when it resets.
 */
public final class BudgetGuard {

    private static final Period[] ROW_PERIODS = {Period.HOUR, Period.DAY, Period.MONTH};

    private final TiergateConfig config;
    private final BudgetStore store;
    private final BudgetLedger ledger;
    private final BudgetCalendar calendar;
    private final TierRouter router;
    private final Clock clock;
    private final BudgetAlerts alerts;
    private final dev.tiergate.core.ports.UsageLog usageLog;
    private final Optional<BudgetEscrow> escrow;
    private final Map<ScopeRef, Cached> cache = new ConcurrentHashMap<>();
    /** When each row's warning was last checked here, so a busy row costs at most one read a second per instance. */
    private final Map<String, Instant> warningChecked = new ConcurrentHashMap<>();
    /** Rows with a re-check scheduled at the end of their one-second window, so a crossing is never missed. */
    private final java.util.Set<String> deferred = ConcurrentHashMap.newKeySet();

    private record Cached(Optional<BudgetPolicy> policy, Instant until) {}

    /** Every hold reserved in the ledger by itself, one write per request (no escrow). */
    public BudgetGuard(TiergateConfig config, BudgetStore store, BudgetLedger ledger, TierRouter router, Clock clock,
                       BudgetAlerts alerts, dev.tiergate.core.ports.UsageLog usageLog) {
        this(config, store, ledger, router, clock, alerts, usageLog, Optional.empty());
    }

    /** Holds on {@code escrow}'s leases where a row can lease, and in the ledger by itself where it cannot. */
    public BudgetGuard(TiergateConfig config, BudgetStore store, BudgetLedger ledger, TierRouter router, Clock clock,
                       BudgetAlerts alerts, dev.tiergate.core.ports.UsageLog usageLog, Optional<BudgetEscrow> escrow) {
        this.escrow = escrow;
        this.alerts = alerts;
        this.usageLog = usageLog;
        this.config = config;
        this.store = store;
        this.ledger = ledger;
        this.calendar = new BudgetCalendar(config.budgets().timezone());
        this.router = router;
        this.clock = clock;
    }

    public BudgetCalendar calendar() {
        return calendar;
    }

    /** The output tokens one choice may produce on a tier, and so what is asked of the upstream as {@code max_tokens}. */
    public int outputTokens(RoutingRequest r, TierConfig tier) {
        BudgetSettings b = config.budgets();
        int room = Math.max(1, tier.contextWindow() - r.promptTokens());
        return r.maxTokens().orElse(Math.min(b.defaultMaxTokens(), room));
    }

    /**
     * The most prompt tokens the tier can count for the request. Text is counted with our tokenizer and a margin,
     * because the tier's may count a little differently (15% and 16 tokens). Image, audio and file parts are counted
     * by the tier's own processor, which we cannot run; but the tier refuses any prompt longer than its context window
     * less the output bound it is sent, so that is what a request with media may be charged at most.
     */
    public static long promptBound(TierConfig tier, RoutingRequest r, int outputTokens) {
        long text = (long) Math.ceil(r.promptTokens() * 1.15) + 16;
        if (r.mediaParts() == 0) return text;
        return Math.max(text, (long) tier.contextWindow() - outputTokens);
    }

    /** Every token of the worst case: the prompt's bound and every choice's output bound. */
    public static long tokenBound(TierConfig tier, RoutingRequest r, int outputTokens) {
        return promptBound(tier, r, outputTokens) + (long) r.choices() * outputTokens;
    }

    /** The worst case on a tier: every prompt token uncached, and every choice producing its whole output bound. */
    public static Usd estimate(TierConfig tier, RoutingRequest r, int outputTokens) {
        BigDecimal v = tier.prices().inputPerMillion().multiply(BigDecimal.valueOf(promptBound(tier, r, outputTokens)))
                .add(tier.prices().outputPerMillion().multiply(BigDecimal.valueOf((long) r.choices() * outputTokens)));
        return new Usd(v.movePointLeft(6)); // exact; see TierPricing.cost
    }

    /** {@link #estimate} with this guard's output bound. */
    public Usd worstCase(TierConfig tier, RoutingRequest r) {
        return estimate(tier, r, outputTokens(r, tier));
    }

    public BudgetDecision decide(ApiKey caller, RoutingRequest request, RouteDecision route, String requestId, Instant deadline) {
        Instant now = clock.instant();
        if (!config.budgets().enabled()) {
            // Budgets off: nothing is held; the usage record is still written when the request ends.
            Usd amount = worstCase(route.tier(), request);
            return new BudgetDecision.Allow(new Reservation(requestId, amount, List.of(), deadline), route);
        }
        List<ScopeRef> owners = ScopeRef.of(caller);
        List<Optional<BudgetPolicy>> policies = policies(owners, now);
        RouteDecision current = route;
        ScopeRef because = null;
        while (true) {
            Usd amount = worstCase(current.tier(), request);
            Optional<ScopeRef> perRequest = Optional.empty();
            for (int i = 0; i < owners.size(); i++) {
                Optional<Usd> cap = policies.get(i).flatMap(p -> p.limit(Period.REQUEST));
                if (cap.isPresent() && amount.compareTo(cap.get()) > 0) {
                    perRequest = Optional.of(owners.get(i));
                    break;
                }
            }
            LedgerRow refused = null;
            Optional<BudgetPolicy> refusedPolicy = Optional.empty();
            if (perRequest.isPresent()) {
                int i = owners.indexOf(perRequest.get());
                refusedPolicy = policies.get(i);
                if (refusedPolicy.get().action() != BudgetPolicy.Action.DOWNGRADE) {
                    return new BudgetDecision.Reject(new BudgetRefusal.OverRequestLimit(perRequest.get(), amount, refusedPolicy.get().limit(Period.REQUEST).get()));
                }
            } else {
                // Only rows with a limit are held and written; spend of the others comes from the usage records.
                List<LedgerRow> rows = new ArrayList<>();
                for (int i = 0; i < owners.size(); i++) {
                    for (Period p : ROW_PERIODS) {
                        Optional<Usd> limit = policies.get(i).flatMap(pol -> pol.limit(p));
                        if (limit.isPresent()) rows.add(new LedgerRow(owners.get(i), p, calendar.periodKey(p, now), limit, calendar.resetsAt(p, now)));
                    }
                }
                int tokens = (int) Math.min(Integer.MAX_VALUE, tokenBound(current.tier(), request, outputTokens(request, current.tier())));
                Reservation reservation = new Reservation(requestId, amount, rows,
                        deadline.plusMillis(config.budgets().reservationGraceMs()), rateRows(caller, now, tokens));
                BudgetLedger.Hold hold;
                if (rows.isEmpty() && reservation.rateRows().isEmpty()) {
                    hold = new BudgetLedger.Held(reservation); // nothing limits it: nothing to hold or write
                } else {
                    // Held on this instance's leases and minute allowances where it can be, else reserved by itself.
                    Optional<Reservation> leased = escrow.flatMap(e -> e.hold(reservation));
                    hold = leased.<BudgetLedger.Hold>map(BudgetLedger.Held::new).orElseGet(() -> ledger.reserve(reservation));
                }
                switch (hold) {
                    case BudgetLedger.Held held -> {
                        return current == route ? new BudgetDecision.Allow(held.reservation(), current)
                                : new BudgetDecision.Downgrade(held.reservation(), current, route.tier().name(), because);
                    }
                    case BudgetLedger.Refused r -> {
                        refused = r.row();
                        refusedPolicy = policies.get(owners.indexOf(r.row().owner()));
                    }
                    case BudgetLedger.Throttled t -> {
                        long retry = t.kind() == RateLimitKind.MAX_CONCURRENT ? 1 : 60 - now.atZone(java.time.ZoneOffset.UTC).getSecond();
                        return new BudgetDecision.Reject(new BudgetRefusal.RateLimited(t.row(), t.kind(), retry));
                    }
                }
            }
            boolean downgrade = refusedPolicy.map(p -> p.action() == BudgetPolicy.Action.DOWNGRADE).orElse(false);
            Optional<RouteDecision> cheaper = downgrade ? cheaper(request, current) : Optional.empty();
            if (cheaper.isEmpty()) {
                if (refused == null) {
                    return new BudgetDecision.Reject(new BudgetRefusal.OverRequestLimit(perRequest.get(), amount,
                            refusedPolicy.get().limit(Period.REQUEST).get()));
                }
                return new BudgetDecision.Reject(new BudgetRefusal.OverLimit(refused, downgrade));
            }
            because = refused != null ? refused.owner() : perRequest.get();
            current = cheaper.get();
        }
    }

    /** The route when capped at the tier just below the current one; empty at the cheapest tier or when it cannot serve. */
    private Optional<RouteDecision> cheaper(RoutingRequest request, RouteDecision current) {
        int below = current.tier().index() - 1;
        if (below < 0) return Optional.empty();
        return switch (router.decide(request.withCeiling(config.tiers().get(below).name()))) {
            case RouteDecision d -> Optional.of(d);
            case dev.tiergate.core.routing.RouteRefusal cannotServe -> Optional.empty();
        };
    }

    /** The owners' definitions, in their order: those not cached (or expired) are read together, in one call. */
    private List<Optional<BudgetPolicy>> policies(List<ScopeRef> owners, Instant now) {
        int ttl = config.budgets().cacheSeconds();
        List<Optional<BudgetPolicy>> out = new ArrayList<>(owners.size());
        List<ScopeRef> missing = new ArrayList<>();
        for (ScopeRef o : owners) {
            Cached c = ttl <= 0 ? null : cache.get(o);
            boolean fresh = c != null && now.isBefore(c.until());
            out.add(fresh ? c.policy() : Optional.empty());
            if (!fresh) missing.add(o);
        }
        if (missing.isEmpty()) return out;
        Map<ScopeRef, BudgetPolicy> read = store.findAll(missing);
        for (int i = 0; i < owners.size(); i++) {
            ScopeRef o = owners.get(i);
            if (!missing.contains(o)) continue;
            Optional<BudgetPolicy> p = Optional.ofNullable(read.get(o));
            if (ttl > 0) cache.put(o, new Cached(p, now.plusSeconds(ttl)));
            out.set(i, p);
        }
        return out;
    }

    private Optional<BudgetPolicy> policy(ScopeRef owner, Instant now) {
        return policies(List.of(owner), now).getFirst();
    }

    /** Writes one settlement: the ledger change and the usage record together, or the record alone when nothing is held. */
    public void apply(Settlement settlement) {
        switch (settlement) {
            case Settlement.Settle s -> settle(s.reservation(), s.usage());
            case Settlement.Release r -> release(r.reservation(), r.usage());
            case Settlement.RecordOnly o -> usageLog.record(o.usage());
        }
    }

    /**
     * Writes several settlements. Those that touch no ledger row (budgets off, cache hits) go to the usage log as one
     * batch; each ledger change stays its own transaction.
     */
    public void applyAll(List<Settlement> settlements) {
        List<UsageRecord> recordsOnly = new ArrayList<>();
        List<Settlement> ledgerChanges = new ArrayList<>();
        for (Settlement s : settlements) {
            if (s instanceof Settlement.RecordOnly || !config.budgets().enabled() || heldNothing(s)) recordsOnly.add(s.usage());
            else ledgerChanges.add(s);
        }
        if (!ledgerChanges.isEmpty()) {
            ledger.finishAll(ledgerChanges);
            escrow.ifPresent(e -> ledgerChanges.forEach(s -> finishedOnLease(e, s)));
            List<Reservation> limited = ledgerChanges.stream().filter(s -> s instanceof Settlement.Settle)
                    .map(s -> ((Settlement.Settle) s).reservation())
                    .filter(r -> r.rows().stream().anyMatch(row -> row.limit().isPresent())).toList();
            if (!limited.isEmpty()) Thread.ofVirtual().name("budget-warnings").start(() -> limited.forEach(this::warnIfNeeded));
        }
        if (!recordsOnly.isEmpty()) usageLog.recordAll(recordsOnly);
    }

    /** Charges what the request used and records its usage, in one write; then checks warnings off the request path. */
    public void settle(Reservation reservation, UsageRecord usage) {
        if (!config.budgets().enabled()) {
            usageLog.record(usage);
            return;
        }
        ledger.settle(reservation, usage);
        escrow.ifPresent(e -> e.finished(reservation, usage.cost(), usage.tokens().totalTokens()));
        if (reservation.rows().stream().anyMatch(r -> r.limit().isPresent())) {
            Thread.ofVirtual().name("budget-warning-" + reservation.requestId()).start(() -> warnIfNeeded(reservation));
        }
    }

    /**
     * The request's answer is done (whole, or its stream ended): what it was lent of this instance's in-flight slots
     * is free again at once; its money stays held until the settlement is written.
     */
    public void answered(Reservation reservation) {
        escrow.ifPresent(e -> e.answered(reservation));
    }

    /** Journals a streaming request's usage so far with its hold (see {@link BudgetLedger#journal}). */
    public void journal(Reservation reservation, UsageRecord soFar) {
        if (config.budgets().enabled()) ledger.journal(reservation, soFar);
    }

    /**
     * Makes a reservation cover a pricier tier (a fallback): the difference is held in one more atomic write, or
     * nothing is when a limit would be passed.
     */
    public Optional<Reservation> cover(Reservation reservation, Usd needed) {
        if (needed.compareTo(reservation.amount()) <= 0 || !config.budgets().enabled()) return Optional.of(reservation);
        Usd extra = needed.minus(reservation.amount());
        if (reservation.leaseHolder().isPresent()) return escrow.flatMap(e -> e.extend(reservation, extra));
        if (!reservation.recorded()) return Optional.of(reservation.withAmount(needed)); // nothing limits it
        return switch (ledger.extend(reservation, extra)) {
            case BudgetLedger.Held h -> Optional.of(h.reservation());
            case BudgetLedger.Refused r -> Optional.empty();
            case BudgetLedger.Throttled t -> Optional.empty();
        };
    }

    /** Gives the held money back and records the request's usage (no tokens), in one write. */
    public void release(Reservation reservation, UsageRecord usage) {
        if (!config.budgets().enabled()) {
            usageLog.record(usage);
            return;
        }
        ledger.release(reservation, usage);
        escrow.ifPresent(e -> e.finished(reservation, Usd.ZERO, 0));
    }

    /** A request no limit counted: its settlement is its usage record alone. */
    private static boolean heldNothing(Settlement s) {
        Reservation r = switch (s) {
            case Settlement.Settle x -> x.reservation();
            case Settlement.Release x -> x.reservation();
            case Settlement.RecordOnly x -> null;
        };
        return r != null && !r.recorded() && r.leaseHolder().isEmpty();
    }

    private static void finishedOnLease(BudgetEscrow e, Settlement s) {
        switch (s) {
            case Settlement.Settle x -> e.finished(x.reservation(), x.usage().cost(), x.usage().tokens().totalTokens());
            case Settlement.Release x -> e.finished(x.reservation(), Usd.ZERO, 0);
            case Settlement.RecordOnly x -> { }
        }
    }

    /**
     * One warning per scope and period, the first time a row reaches its policy's share of the limit. Spend only
     * grows within a period, so checking a row at most once a second (and never again once warned) loses nothing
     * but up to a second of delay.
     */
    void warnIfNeeded(Reservation reservation) {
        Instant now = clock.instant();
        for (LedgerRow row : reservation.rows()) {
            if (row.limit().isEmpty()) continue;
            String rowKey = row.owner().key() + "|" + row.periodKey();
            Instant last = warningChecked.get(rowKey);
            if (last != null && last.equals(Instant.MAX)) continue;
            if (last != null && last.isAfter(now.minusSeconds(1))) {
                if (deferred.add(rowKey)) {
                    long wait = java.time.Duration.between(now, last.plusSeconds(1)).toMillis() + 1;
                    Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(Math.max(1, wait));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        deferred.remove(rowKey);
                        warnIfNeeded(new Reservation(reservation.requestId(), reservation.amount(), java.util.List.of(row), reservation.deadline()));
                    });
                }
                continue;
            }
            warningChecked.put(rowKey, now);
            double warnAt = policy(row.owner(), now).map(BudgetPolicy::warnAt).orElse(config.budgets().warnAt());
            Usd limit = row.limit().get();
            Usd committed = ledger.committed(row);
            BigDecimal threshold = limit.amount().multiply(BigDecimal.valueOf(warnAt));
            if (committed.amount().compareTo(threshold) >= 0) {
                warningChecked.put(rowKey, Instant.MAX);
                if (ledger.markWarned(row)) alerts.warn(row, committed, limit);
            }
        }
    }

    /** Forgets a cached definition (after this instance changed it). */
    public void invalidate(ScopeRef owner) {
        cache.remove(owner);
    }

    private static final java.time.format.DateTimeFormatter MINUTE = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")
            .withZone(java.time.ZoneOffset.UTC);

    /** The key's and the team's rate-limit rows for this minute (UTC), for the scopes that have limits. */
    private List<RateRow> rateRows(ApiKey caller, Instant now, int tokens) {
        List<RateRow> out = new ArrayList<>();
        String minute = "minute#" + MINUTE.format(now);
        // The key's own limits, and those of the keys that created it: minting keys adds nothing to a creator's allowance.
        for (dev.tiergate.core.auth.ApiKey.SharedLimit l : caller.allRateLimits()) {
            out.add(new RateRow("key#" + l.keyId(), minute, l.limits(), tokens));
        }
        RateLimits team = config.teamRateLimits(caller.team());
        if (!team.isEmpty()) out.add(new RateRow("team#" + caller.team(), minute, team, tokens));
        return out;
    }
}
