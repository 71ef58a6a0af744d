package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One gateway instance's share of the limited rows' room: it takes a lease on a row with one conditional write and
 * then holds its requests' worst cases against the lease in memory, so a request costs no DynamoDB round trip before
 * dispatch. A lease is sized to about {@link Settings#leaseTraffic} of this instance's own demand on the row, shrinks
 * as the row's room does (at most an even share among the instances leasing it), and is not taken at all once the
 * room is down to a few worst cases per instance: then requests reserve in the ledger one by one, so the last cents
 * are shared and nothing that fits is refused.
 *
 * <p>The invariant lives in DynamoDB ({@code spent + reserved + leased <= limit}, every room-taking write
 * conditional on it), so nothing here can overspend: the worst a bug or a crash in this class can do is leave room
 * idle until the lease's deadline, when the sweeper takes it back. A request's spend moves from the lease to
 * {@code spent} in the same write as its usage record; {@link #finished} then frees its hold here.
 *
 * <p>In-flight caps ({@code max_concurrent}) lease the same way, in slots rather than dollars: an instance takes a few
 * slots of a key's or team's in-flight count with one conditional write, lends one to each request it serves and takes
 * it back when the answer is done (in memory, before the settlement is written), so a client at a steady concurrency
 * costs no write at all. A lease keeps about as many slots as this instance's requests used at once lately, at most its
 * even share of the cap; near the cap (less than half of it free) requests are counted one by one (see {@link #slotFloor}).
 *
 * <p>{@link #maintain} (every second or so) renews leases well before their deadline, tops up those running low
 * off the request path, and returns those gone idle; {@link #returnAll} gives everything back on shutdown.
 */
public final class BudgetEscrow {

    private static final System.Logger LOG = System.getLogger(BudgetEscrow.class.getName());

    /**
     * @param leaseTraffic      how much of this instance's demand on a row one lease covers
     * @param minRequests       the least a lease covers, in worst cases of the request that asked for it
     * @param fallbackRequests  below this many worst cases of room per leasing instance, a row is not leased
     * @param idleAfter         a lease with nothing held for this long is returned
     * @param longestHold       the longest a request may hold money (its deadline and the grace after it)
     * @param margin            a request is held on a lease only if the lease outlives its deadline by this much
     * @param renewEvery        how often a lease in use is renewed; its deadline is always this much further out
     *                          than a request could need, so a dead instance's leases come back this long after the
     *                          longest request it could have been serving
     * @param leaseSlots        whether in-flight caps are leased too: only where the process runs between requests
     *                          (a Lambda environment is frozen between invocations, and slots it kept would count as
     *                          in flight while nothing runs, until their deadline)
     */
    public record Settings(Duration leaseTraffic, int minRequests, int fallbackRequests, Duration idleAfter, Duration longestHold,
                           Duration margin, Duration renewEvery, boolean leaseSlots) {
        public Settings {
            if (minRequests < 1 || fallbackRequests < 1) throw new IllegalArgumentException("minRequests and fallbackRequests must be at least 1");
        }

        /** The defaults, for requests that may hold money for up to {@code longestHold} (deadline and grace). */
        public static Settings forLongestHold(Duration longestHold) {
            return new Settings(Duration.ofSeconds(2), 4, 4, Duration.ofSeconds(10), longestHold, Duration.ofSeconds(2), Duration.ofSeconds(10), true);
        }

        /** The same, with every request of an in-flight cap counted in the ledger by itself. */
        public Settings withoutSlotLeases() {
            return new Settings(leaseTraffic, minRequests, fallbackRequests, idleAfter, longestHold, margin, renewEvery, false);
        }

        /** A lease's deadline from its last write. */
        public Duration leaseTtl() {
            return longestHold.plus(margin).plus(renewEvery);
        }
    }

    private static final class Account {
        LedgerRow row;
        BigDecimal granted = BigDecimal.ZERO;
        BigDecimal held = BigDecimal.ZERO;
        Instant until = Instant.EPOCH;
        Instant lastUsed;
        Optional<LeaseLedger.RowView> seen = Optional.empty();
        BigDecimal lastAmount = BigDecimal.ZERO;
        /** Whether this account ever held a lease on the row (which then has to be ended, not just forgotten). */
        boolean leased;
        /** Demand (worst cases held) per second, smoothed; and the window being counted. */
        double rate;
        double windowSum;
        Instant windowStart;
        final ReentrantLock writing = new ReentrantLock();

        Account(LedgerRow row, Instant now) {
            this.row = row;
            this.lastUsed = now;
            this.windowStart = now;
        }

        BigDecimal available() {
            return granted.subtract(held);
        }
    }

    /** This instance's share of one rate row's minute: requests and tokens taken from the row, and handed out. */
    private static final class Allowance {
        final RateRow row;
        long grantedRequests;
        long grantedTokens;
        long usedRequests;
        long usedTokens;
        Optional<LeaseLedger.Counted> seen = Optional.empty();
        double requestWindow;
        final Instant windowStart;
        final ReentrantLock writing = new ReentrantLock();

        Allowance(RateRow row, Instant now) {
            this.row = row;
            this.windowStart = now;
        }

        boolean covers(long tokens) {
            boolean requests = row.limits().requestsPerMinute().isEmpty() || grantedRequests - usedRequests >= 1;
            boolean toks = row.limits().tokensPerMinute().isEmpty() || grantedTokens - usedTokens >= tokens;
            return requests && toks;
        }
    }

    /** This instance's lease of one key's or team's in-flight slots: slots taken from the row, and those lent out now. */
    private static final class Slots {
        RateRow row;
        int granted;
        int inUse;
        /** Requests in {@link #hold} for a slot right now: demand a top-up takes into account. */
        int asking;
        /** The most slots wanted at once in the current window and the one before: what a lease keeps. */
        int peak;
        int lastPeak;
        Instant windowStart;
        Instant until = Instant.EPOCH;
        Instant lastUsed;
        Optional<LeaseLedger.RowView> seen = Optional.empty();
        /** Whether this instance ever held a lease on the row (which then has to be ended, not just forgotten). */
        boolean leased;
        final ReentrantLock writing = new ReentrantLock();

        Slots(RateRow row, Instant now) {
            this.row = row;
            this.lastUsed = now;
            this.windowStart = now;
        }

        int available() {
            return granted - inUse;
        }

        int cap() {
            return row.limits().maxConcurrent().orElseThrow();
        }
    }

    /** The slots a request was lent, until its answer is done or, at the latest, its deadline. */
    private record SlotLoan(Instant deadline, List<Slots> slots) {}

    private final Map<String, Slots> slots = new HashMap<>();
    private final Map<String, SlotLoan> loans = new HashMap<>();
    private final Map<String, Allowance> allowances = new HashMap<>();
    private final LeaseLedger ledger;
    private final Clock clock;
    private final Settings settings;
    private String instance;
    private final Map<String, Account> accounts = new HashMap<>();
    /** Bumped when a lease turns out lost: holds of the old name settle as late charges, new leases take a new name. */
    private int generation;

    public BudgetEscrow(LeaseLedger ledger, Clock clock, Settings settings, String instance) {
        this.ledger = ledger;
        this.clock = clock;
        this.settings = settings;
        this.instance = Objects.requireNonNull(instance);
    }

    /**
     * Takes a new instance name and forgets every lease: for an environment restored from a snapshot (SnapStart),
     * whose copies would otherwise all hold leases under the snapshot's name, each believing they are its own.
     */
    public synchronized void takeNewName() {
        instance = newInstanceName();
        generation = 0;
        accounts.clear();
        allowances.clear();
        slots.clear();
        loans.clear();
    }

    /** An instance name of its own, e.g. for one process or one Lambda environment. */
    public static String newInstanceName() {
        return UUID.randomUUID().toString().substring(0, 13);
    }

    private synchronized String holder() {
        return instance + "." + generation;
    }

    private static String key(LedgerRow row) {
        return row.owner().key() + "|" + row.periodKey();
    }

    /**
     * Holds the reservation on this instance's leases, taking or topping up a lease where one falls short (the only
     * case with a write before dispatch). Empty when some row will not lease that much: reserve it in the ledger.
     */
    public Optional<Reservation> hold(Reservation r) {
        if (r.rows().isEmpty() && r.rateRows().isEmpty()) throw new IllegalArgumentException("nothing to hold: no limited rows and no rate rows");
        List<RateRow> capped = capped(r);
        if (capped.isEmpty()) return holdOnLeases(r, List.of());
        if (!settings.leaseSlots()) return Optional.empty();
        List<Slots> asked = new ArrayList<>(capped.size());
        synchronized (this) {
            Instant now = clock.instant();
            for (RateRow rr : capped) {
                Slots s = slots.computeIfAbsent(rr.owner(), k -> new Slots(rr, now));
                s.row = rr; // the cap may have changed
                s.asking++;
                s.peak = Math.max(s.peak, s.inUse + s.asking);
                asked.add(s);
            }
        }
        try {
            return holdOnLeases(r, asked);
        } finally {
            synchronized (this) {
                for (Slots s : asked) s.asking--;
            }
        }
    }

    private static List<RateRow> capped(Reservation r) {
        if (r.rateRows().isEmpty()) return List.of();
        return r.rateRows().stream().filter(rr -> rr.limits().maxConcurrent().isPresent()).toList();
    }

    private Optional<Reservation> holdOnLeases(Reservation r, List<Slots> capped) {
        BigDecimal amount = r.amount().amount();
        Instant needUntil = r.deadline().plus(settings.margin());
        // A few rounds: in a burst, what one round's top-up brought may go to concurrent requests first, and giving up
        // then would leave it unused while this request reserves by itself (or is refused) against a minute it counts in.
        for (int attempt = 0; attempt < 4; attempt++) {
            List<Account> short_ = new ArrayList<>();
            List<Allowance> shortRates = new ArrayList<>();
            List<Slots> shortSlots = new ArrayList<>();
            synchronized (this) {
                Instant now = clock.instant();
                List<Account> mine = new ArrayList<>(r.rows().size());
                for (LedgerRow row : r.rows()) {
                    Account a = accounts.computeIfAbsent(key(row), k -> new Account(row, now));
                    a.row = row; // the limit may have changed
                    if (attempt == 0) demand(a, amount, now);
                    mine.add(a);
                    if (a.available().compareTo(amount) < 0 || a.until.isBefore(needUntil)) short_.add(a);
                }
                List<Allowance> rates = new ArrayList<>(r.rateRows().size());
                for (RateRow rr : r.rateRows()) {
                    Allowance al = allowances.computeIfAbsent(rateKey(rr), k -> new Allowance(rr, now));
                    if (attempt == 0) al.requestWindow++;
                    rates.add(al);
                    if (!al.covers(rr.tokens())) shortRates.add(al);
                }
                for (Slots sl : capped) {
                    if (slots.get(sl.row.owner()) != sl) return Optional.empty(); // forgotten after a lost lease
                    if (sl.available() < 1 || sl.until.isBefore(needUntil)) shortSlots.add(sl);
                }
                if (short_.isEmpty() && shortRates.isEmpty() && shortSlots.isEmpty()) {
                    for (Account a : mine) {
                        a.held = a.held.add(amount);
                        a.lastUsed = now;
                    }
                    for (int i = 0; i < rates.size(); i++) {
                        rates.get(i).usedRequests++;
                        rates.get(i).usedTokens += r.rateRows().get(i).tokens();
                    }
                    for (Slots sl : capped) {
                        sl.inUse++;
                        sl.lastUsed = now;
                    }
                    if (!capped.isEmpty()) loans.put(r.requestId(), new SlotLoan(r.deadline(), List.copyOf(capped)));
                    return Optional.of(r.onLeasesOf(holder()));
                }
            }
            if (attempt == 3) break;
            for (Account a : short_) {
                if (!topUp(a, amount, needUntil)) return Optional.empty();
            }
            for (Allowance al : shortRates) {
                if (!takeMore(al)) return Optional.empty();
            }
            for (Slots sl : shortSlots) {
                if (!takeSlots(sl, needUntil)) return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String rateKey(RateRow rr) {
        return rr.owner() + "|" + rr.minuteKey();
    }

    /**
     * Takes about {@link Settings#leaseTraffic} of this instance's requests on a rate row's minute (at least one, at
     * most half of what the minute has left), with tokens at this request's estimate each; false when the minute is
     * too near its limits to share (the request then reserves by itself) or the limits refuse.
     */
    private boolean takeMore(Allowance al) {
        al.writing.lock();
        try {
            int requests;
            long tokens;
            synchronized (this) {
                if (al.covers(al.row.tokens())) return true;
                double elapsed = Math.max(0.25, Duration.between(al.windowStart, clock.instant()).toMillis() / 1000.0);
                double perSecond = al.requestWindow / elapsed;
                long want = Math.max(1, Math.round(perSecond * settings.leaseTraffic().toMillis() / 1000.0));
                var limits = al.row.limits();
                long seenRequests = al.seen.map(LeaseLedger.Counted::requests).orElse(0L);
                long seenTokens = al.seen.map(LeaseLedger.Counted::tokens).orElse(0L);
                if (limits.requestsPerMinute().isPresent()) {
                    long left = limits.requestsPerMinute().get() - seenRequests;
                    if (left < 2L * settings.fallbackRequests()) return false;
                    want = Math.min(want, left / 2);
                }
                if (limits.tokensPerMinute().isPresent()) {
                    long left = limits.tokensPerMinute().get() - seenTokens;
                    if (left < 2L * settings.fallbackRequests() * al.row.tokens()) return false;
                    want = Math.min(want, Math.max(1, left / 2 / Math.max(1, al.row.tokens())));
                }
                requests = (int) Math.max(1, Math.min(Integer.MAX_VALUE, want));
                tokens = limits.tokensPerMinute().isPresent() ? (long) requests * al.row.tokens() : 0;
            }
            Optional<LeaseLedger.Counted> after = ledger.takeAllowance(al.row, requests, tokens);
            synchronized (this) {
                if (after.isEmpty()) {
                    // Refused: the minute is nearly full; from now on this row is shared request by request.
                    al.seen = Optional.of(new LeaseLedger.Counted(al.row.limits().requestsPerMinute().orElse(0).longValue(),
                            al.row.limits().tokensPerMinute().map(Integer::longValue).orElse(0L)));
                    return false;
                }
                al.grantedRequests += requests;
                al.grantedTokens += tokens;
                al.seen = after;
                return true;
            }
        } finally {
            al.writing.unlock();
        }
    }

    /** Holds {@code extra} more for a reservation held here (a fallback to a pricier tier), or nothing. */
    public Optional<Reservation> extend(Reservation r, Usd extra) {
        synchronized (this) {
            if (!r.leaseHolder().equals(Optional.of(holder()))) return Optional.empty();
        }
        // Held on minute allowances alone: no budget limits it, and a fallback is still one request on them.
        if (r.rows().isEmpty()) return Optional.of(r.withAmount(r.amount().plus(extra)));
        Reservation more = new Reservation(r.requestId() + "+", extra, r.rows(), r.deadline(), List.of());
        Optional<Reservation> held = hold(more);
        return held.map(h -> r.withAmount(r.amount().plus(extra)));
    }

    /**
     * A settlement of a reservation held here was written: its spend is now in the row's {@code spent}, out of the
     * lease, and its hold is freed. Reservations held by another instance or an older lease are not this one's.
     */
    public synchronized void finished(Reservation r, Usd actual) {
        finished(r, actual, -1);
    }

    /**
     * As {@link #finished(Reservation, Usd)}, and the tokens it used: what its rate rows counted beyond them is handed
     * out again this minute ({@code actualTokens} below 0: keep the estimate counted).
     */
    public synchronized void finished(Reservation r, Usd actual, long actualTokens) {
        if (!r.leaseHolder().equals(Optional.of(holder()))) return;
        if (!loans.isEmpty()) giveBackSlots(r.requestId(), clock.instant());
        if (actualTokens >= 0) {
            for (RateRow rr : r.rateRows()) {
                Allowance al = allowances.get(rateKey(rr));
                if (al != null) al.usedTokens -= Math.max(0, rr.tokens() - actualTokens);
            }
        }
        for (LedgerRow row : r.rows()) {
            Account a = accounts.get(key(row));
            if (a == null) continue;
            a.held = a.held.subtract(r.amount().amount());
            a.granted = a.granted.subtract(actual.amount());
        }
    }

    /**
     * The request's answer is done: the in-flight slots it was lent go back to this instance's leases at once, before
     * its settlement is written, so the client's next request finds its slot free. Nothing for a request held elsewhere.
     */
    public void answered(Reservation r) {
        if (capped(r).isEmpty()) return; // lent no slot: no need to take the lock
        synchronized (this) {
            if (r.leaseHolder().equals(Optional.of(holder()))) giveBackSlots(r.requestId(), clock.instant());
        }
    }

    private void giveBackSlots(String requestId, Instant now) {
        SlotLoan loan = loans.remove(requestId);
        if (loan == null) return;
        for (Slots sl : loan.slots()) {
            sl.inUse--;
            sl.lastUsed = now;
        }
    }

    /** Renews, tops up and returns leases; call it about once a second. */
    public void maintain() {
        record Work(Account a, BigDecimal delta, boolean drop) {}
        List<Work> work = new ArrayList<>();
        List<Account> refill = new ArrayList<>();
        List<SlotWork> slotWork;
        synchronized (this) {
            Instant now = clock.instant();
            slotWork = slotUpkeep(now);
            // A minute's allowance lapses with the minute (rows are keyed by their minute, so a new one starts afresh).
            allowances.values().removeIf(al -> Duration.between(al.windowStart, now).compareTo(Duration.ofMinutes(2)) > 0);
            for (var it = accounts.values().iterator(); it.hasNext(); ) {
                Account a = it.next();
                roll(a, now);
                boolean idle = a.held.signum() == 0 && a.lastUsed.plus(settings.idleAfter()).isBefore(now);
                if (idle && a.granted.signum() == 0 && !a.leased) {
                    it.remove(); // never held a lease: nothing on the row to end
                } else if (idle) {
                    // Taken out of what may be held before the write, so nothing is held on money being returned.
                    work.add(new Work(a, a.granted.negate(), true));
                    a.granted = BigDecimal.ZERO;
                } else if (a.granted.signum() > 0 && Duration.between(now, a.until).compareTo(settings.leaseTtl().minus(settings.renewEvery())) < 0) {
                    BigDecimal excess = excess(a);
                    work.add(new Work(a, excess.negate(), false));
                    a.granted = a.granted.subtract(excess);
                } else if (excess(a).signum() > 0) {
                    BigDecimal excess = excess(a);
                    work.add(new Work(a, excess.negate(), false));
                    a.granted = a.granted.subtract(excess);
                } else if (a.lastAmount.signum() > 0 && a.available().compareTo(target(a).divide(BigDecimal.TWO)) < 0) {
                    refill.add(a);
                }
            }
        }
        for (Work w : work) {
            String holder = holder();
            Instant until = clock.instant().plus(settings.leaseTtl());
            LeaseLedger.LeaseChange c;
            w.a().writing.lock();
            try {
                if (w.drop() && ledger.endLease(w.a().row, holder, new Usd(w.delta().negate()))) {
                    synchronized (this) {
                        if (w.a().held.signum() == 0 && w.a().granted.signum() == 0) accounts.remove(key(w.a().row), w.a());
                    }
                    continue;
                }
                c = ledger.changeLease(w.a().row, holder, new Usd(w.delta()), until, true);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not renew or return a budget lease on {0}: {1}", key(w.a().row), e.toString());
                // Whether it landed is unknown: what was being returned stays out of use here (never spent twice), and
                // what the row still leases to this name goes back at the lease's deadline once it is no longer renewed.
                continue;
            } finally {
                w.a().writing.unlock();
            }
            synchronized (this) {
                switch (c) {
                    case LeaseLedger.Changed ch -> {
                        w.a().seen = Optional.of(ch.row());
                        w.a().until = until;
                        if (w.drop() && w.a().held.signum() == 0 && w.a().granted.signum() == 0) accounts.remove(key(w.a().row), w.a());
                    }
                    case LeaseLedger.NoRoom n -> w.a().seen = Optional.of(n.row()); // a return never needs room
                    case LeaseLedger.Lost l -> lost(holder);
                }
            }
        }
        for (Account a : refill) {
            topUp(a, a.lastAmount, clock.instant());
        }
        for (SlotWork w : slotWork) changeSlots(w);
    }

    /** A lease of slots to renew or trim by {@code delta} (zero or less), or to end when {@code end}. */
    private record SlotWork(Slots slots, int delta, boolean end) {}

    /**
     * Under the lock: frees the slots of loans past their deadline (a request that never reported its end), rolls the
     * demand windows, and says which slot leases to end (idle), trim (more than recent demand or the even share) or renew.
     */
    private List<SlotWork> slotUpkeep(Instant now) {
        for (var it = loans.values().iterator(); it.hasNext(); ) {
            SlotLoan loan = it.next();
            if (!loan.deadline().isBefore(now)) continue;
            it.remove();
            for (Slots sl : loan.slots()) sl.inUse--;
        }
        List<SlotWork> out = new ArrayList<>();
        for (var it = slots.values().iterator(); it.hasNext(); ) {
            Slots sl = it.next();
            if (Duration.between(sl.windowStart, now).compareTo(settings.leaseTraffic()) >= 0) {
                sl.lastPeak = sl.peak;
                sl.peak = sl.inUse + sl.asking;
                sl.windowStart = now;
            }
            boolean idle = sl.inUse == 0 && sl.asking == 0 && sl.lastUsed.plus(settings.idleAfter()).isBefore(now);
            if (idle && !sl.leased) {
                it.remove();
            } else if (idle) {
                out.add(new SlotWork(sl, -sl.granted, true));
                sl.granted = 0;
            } else if (sl.granted > 0) {
                // Near the cap nothing is kept idle: a slot unused here is one another instance's request may need.
                int keep = slotRoom(sl) < slotFloor(sl) ? sl.inUse : Math.max(sl.inUse, Math.min(slotTarget(sl), slotShare(sl)));
                int excess = Math.max(0, sl.granted - keep);
                boolean renew = Duration.between(now, sl.until).compareTo(settings.leaseTtl().minus(settings.renewEvery())) < 0;
                if (excess > 0 || renew) {
                    out.add(new SlotWork(sl, -excess, false));
                    sl.granted -= excess; // out of what may be lent before the write, so nothing is lent on a slot going back
                }
            }
        }
        return out;
    }

    private void changeSlots(SlotWork w) {
        Slots sl = w.slots();
        String holder = holder();
        Instant until = clock.instant().plus(settings.leaseTtl());
        LeaseLedger.LeaseChange c;
        sl.writing.lock();
        try {
            if (w.end() && ledger.endSlots(sl.row, holder, -w.delta())) {
                synchronized (this) {
                    if (sl.inUse == 0 && sl.granted == 0 && sl.asking == 0) slots.remove(sl.row.owner(), sl);
                }
                return;
            }
            c = ledger.changeSlots(sl.row, holder, w.delta(), until, true);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not renew or return an in-flight lease on {0}: {1}", sl.row.owner(), e.toString());
            return; // as for a budget lease: what was going back stays out of use here, and the row gets it at the deadline
        } finally {
            sl.writing.unlock();
        }
        synchronized (this) {
            switch (c) {
                case LeaseLedger.Changed ch -> {
                    sl.seen = Optional.of(ch.row());
                    sl.until = until;
                }
                case LeaseLedger.NoRoom n -> sl.seen = Optional.of(n.row());
                case LeaseLedger.Lost l -> lost(holder);
            }
        }
    }

    /**
     * Takes more of a row's in-flight slots so that one is free and the lease outlives {@code needUntil}; false when
     * the row is near its cap (see {@link #slotFloor}) or full: the request then reserves by itself.
     */
    private boolean takeSlots(Slots sl, Instant needUntil) {
        sl.writing.lock();
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                int delta;
                boolean existing;
                String holder;
                synchronized (this) {
                    if (slots.get(sl.row.owner()) != sl) return false; // dropped after a lost lease
                    if (sl.available() >= 1 && !sl.until.isBefore(needUntil)) return true;
                    int needed = sl.available() >= 1 ? 0 : 1;
                    // The target counts the slots in use and those asked for: what the lease should hold in all.
                    int want = Math.min(slotTarget(sl), slotShare(sl)) - sl.granted;
                    int spare = slotRoom(sl) - slotFloor(sl);
                    delta = Math.max(needed, Math.min(want, spare));
                    if (delta > 0 && delta > spare) return false; // near the cap: requests count one by one

                    existing = sl.granted > 0;
                    holder = holder();
                }
                Instant until = clock.instant().plus(settings.leaseTtl());
                LeaseLedger.LeaseChange c = ledger.changeSlots(sl.row, holder, delta, until, existing);
                synchronized (this) {
                    switch (c) {
                        case LeaseLedger.Changed ch -> {
                            sl.granted += delta;
                            sl.until = until;
                            sl.seen = Optional.of(ch.row());
                            sl.leased = true;
                            return true;
                        }
                        case LeaseLedger.NoRoom n -> sl.seen = Optional.of(n.row());
                        case LeaseLedger.Lost l -> {
                            lost(holder);
                            return false;
                        }
                    }
                }
            }
            return false;
        } finally {
            sl.writing.unlock();
        }
    }

    /** The slots a lease keeps: as many as this instance's requests wanted at once in this window or the last. */
    private static int slotTarget(Slots sl) {
        return Math.max(1, Math.max(sl.peak, Math.max(sl.lastPeak, sl.inUse + sl.asking)));
    }

    /** This instance's even share of the cap among the instances leasing it, as the last write showed them. */
    private static int slotShare(Slots sl) {
        return Math.max(1, sl.cap() / (slotOthers(sl) + 1));
    }

    /**
     * The slots left free on the row below which it is near its cap: half the cap, and at least a few requests' worth
     * per leasing instance. Leases are taken only above it and shrink to what is in use below it, so near the cap (and
     * always for a small one) requests count one by one: a slot kept idle on one instance would be a request refused
     * on another, while the write a lease saves is one of two a request makes anyway.
     */
    private int slotFloor(Slots sl) {
        return Math.max(settings.fallbackRequests() * (slotOthers(sl) + 1), (sl.cap() + 1) / 2);
    }

    /** Slots not counted in flight or leased on the row, as the last write showed it; before one, the cap. */
    private static int slotRoom(Slots sl) {
        long committed = sl.seen.map(v -> v.committed().longValue()).orElse(0L);
        return (int) Math.max(0, sl.cap() - committed);
    }

    private static int slotOthers(Slots sl) {
        int holders = sl.seen.map(LeaseLedger.RowView::holders).orElse(0);
        return Math.max(0, holders - (sl.granted > 0 ? 1 : 0));
    }

    /** Returns every lease (shutdown): what is held by requests still running stays leased until they settle. */
    public void returnAll() {
        List<Account> all;
        synchronized (this) {
            all = new ArrayList<>(accounts.values());
        }
        for (Account a : all) {
            BigDecimal back;
            String holder;
            boolean ended;
            synchronized (this) {
                back = a.available().max(BigDecimal.ZERO);
                a.granted = a.granted.subtract(back);
                holder = holder();
                ended = a.held.signum() == 0 && a.granted.signum() == 0;
            }
            try {
                // Nothing left in flight: the lease ends and the row keeps no trace of this instance.
                if (ended && ledger.endLease(a.row, holder, new Usd(back))) continue;
                if (back.signum() > 0) ledger.changeLease(a.row, holder, new Usd(back.negate()), clock.instant().plus(settings.leaseTtl()), true);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not return a budget lease on {0}; the sweeper takes it back at its deadline: {1}",
                        key(a.row), e.toString());
            }
        }
        returnAllSlots();
    }

    private void returnAllSlots() {
        List<Slots> all;
        synchronized (this) {
            all = new ArrayList<>(slots.values());
        }
        for (Slots sl : all) {
            int back;
            String holder;
            boolean ended;
            synchronized (this) {
                back = Math.max(0, sl.available());
                sl.granted -= back;
                holder = holder();
                ended = sl.granted == 0 && sl.inUse == 0;
            }
            try {
                if (ended && ledger.endSlots(sl.row, holder, back)) continue;
                if (back > 0) ledger.changeSlots(sl.row, holder, -back, clock.instant().plus(settings.leaseTtl()), true);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not return an in-flight lease on {0}; the sweeper takes it back at its deadline: {1}",
                        sl.row.owner(), e.toString());
            }
        }
    }

    /** The in-flight slots this instance leases now, per rate owner: for metrics and tests. */
    public synchronized Map<String, Integer> slotsLeased() {
        Map<String, Integer> out = new HashMap<>();
        slots.forEach((k, sl) -> {
            if (sl.granted != 0) out.put(k, sl.granted);
        });
        return out;
    }

    /** What this instance leases now, per row ({@code owner|period}): for metrics and tests. */
    public synchronized Map<String, Usd> leased() {
        Map<String, Usd> out = new HashMap<>();
        accounts.forEach((k, a) -> {
            if (a.granted.signum() != 0) out.put(k, new Usd(a.granted));
        });
        return out;
    }

    // --- sizing ---

    private void demand(Account a, BigDecimal amount, Instant now) {
        roll(a, now);
        a.windowSum += amount.doubleValue();
        a.lastAmount = amount;
    }

    /** Folds the demand window into the smoothed rate once a second has passed. */
    private static void roll(Account a, Instant now) {
        long ms = Duration.between(a.windowStart, now).toMillis();
        if (ms < 1000) return;
        double observed = a.windowSum / (ms / 1000.0);
        a.rate = a.rate == 0 ? observed : 0.5 * a.rate + 0.5 * observed;
        a.windowSum = 0;
        a.windowStart = now;
    }

    /** What a lease should leave available: the traffic it covers, at least a few worst cases. */
    private BigDecimal target(Account a) {
        // The window being counted speaks too (over at least a quarter second), so a new lease grows with a burst
        // within its first second rather than a few worst cases at a time.
        double elapsed = Math.max(0.25, Duration.between(a.windowStart, clock.instant()).toMillis() / 1000.0);
        double rate = Math.max(a.rate, a.windowSum / elapsed);
        BigDecimal traffic = BigDecimal.valueOf(rate * settings.leaseTraffic().toMillis() / 1000.0);
        return traffic.max(a.lastAmount.multiply(BigDecimal.valueOf(settings.minRequests())));
    }

    /** The row's room left after every lease, reservation and spend as a write last showed it; before one, the limit. */
    private static Optional<BigDecimal> room(Account a) {
        if (a.row.limit().isEmpty()) return Optional.empty();
        BigDecimal committed = a.seen.map(LeaseLedger.RowView::committed).orElse(BigDecimal.ZERO);
        return Optional.of(a.row.limit().get().amount().subtract(committed));
    }

    /** True when the row's room is down to where requests reserve one by one: leases there only keep room from others. */
    private boolean nearlySpent(Account a) {
        Optional<BigDecimal> room = room(a);
        if (room.isEmpty() || a.lastAmount.signum() == 0) return false;
        BigDecimal floor = a.lastAmount.multiply(BigDecimal.valueOf((long) settings.fallbackRequests() * (others(a) + 1)));
        return room.get().compareTo(floor) < 0;
    }

    private static int others(Account a) {
        int holders = a.seen.map(LeaseLedger.RowView::holders).orElse(0);
        return Math.max(0, holders - (a.granted.signum() > 0 ? 1 : 0));
    }

    /** Available money above this instance's even share of what is left: given back so other instances can use it. */
    private BigDecimal excess(Account a) {
        Optional<BigDecimal> room = room(a);
        if (room.isEmpty() || a.available().signum() <= 0) return BigDecimal.ZERO;
        if (nearlySpent(a)) return a.available();
        BigDecimal share = room.get().add(a.available()).divide(BigDecimal.valueOf(others(a) + 1L), MathContext.DECIMAL64);
        BigDecimal keep = target(a).min(share);
        BigDecimal extra = a.available().subtract(keep);
        // Only worth a write when it is a sizeable part of the lease.
        return extra.compareTo(keep) > 0 ? extra.setScale(Usd.SCALE, RoundingMode.DOWN) : BigDecimal.ZERO;
    }

    /**
     * Takes more room on a row so that {@code amount} fits, and extends the lease past {@code needUntil}; false when
     * the row is too near its limit to lease (reserve per request instead).
     */
    private boolean topUp(Account a, BigDecimal amount, Instant needUntil) {
        a.writing.lock();
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                BigDecimal delta;
                boolean existing;
                String holder;
                synchronized (this) {
                    if (accounts.get(key(a.row)) != a) return false; // dropped after a lost lease
                    BigDecimal available = a.available();
                    if (available.compareTo(amount) >= 0 && !a.until.isBefore(needUntil)) return true;
                    BigDecimal needed = amount.subtract(available).max(BigDecimal.ZERO);
                    BigDecimal want = target(a).subtract(available).max(needed);
                    Optional<BigDecimal> room = room(a);
                    if (room.isPresent()) {
                        int sharing = others(a) + 1;
                        BigDecimal floor = amount.multiply(BigDecimal.valueOf((long) settings.fallbackRequests() * sharing));
                        if (needed.signum() > 0 && room.get().compareTo(floor) < 0) return false;
                        BigDecimal cap = room.get().divide(BigDecimal.valueOf(sharing + 1L), MathContext.DECIMAL64);
                        want = want.min(cap).max(needed);
                    }
                    delta = want.setScale(Usd.SCALE, RoundingMode.UP);
                    existing = a.granted.signum() > 0 || a.held.signum() > 0;
                    holder = holder();
                }
                Instant until = clock.instant().plus(settings.leaseTtl());
                LeaseLedger.LeaseChange c = ledger.changeLease(a.row, holder, new Usd(delta), until, existing);
                synchronized (this) {
                    switch (c) {
                        case LeaseLedger.Changed ch -> {
                            a.granted = a.granted.add(delta);
                            a.until = until;
                            a.seen = Optional.of(ch.row());
                            a.leased = true;
                            return true;
                        }
                        case LeaseLedger.NoRoom n -> a.seen = Optional.of(n.row());
                        case LeaseLedger.Lost l -> {
                            lost(holder);
                            return false;
                        }
                    }
                }
            }
            return false;
        } finally {
            a.writing.unlock();
        }
    }

    /** A lease was reclaimed under us: forget every account; their holds settle as late charges. */
    private void lost(String holder) {
        if (!holder.equals(holder())) return;
        LOG.log(System.Logger.Level.WARNING, "budget lease {0} was reclaimed while this instance held it; taking new leases", holder);
        generation++;
        accounts.clear();
        slots.clear();
        loans.clear();
    }
}
