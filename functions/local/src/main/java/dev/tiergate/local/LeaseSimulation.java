package dev.tiergate.local;

import dev.tiergate.core.budget.BudgetEscrow;
import dev.tiergate.core.budget.LeaseLedger;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.money.Usd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code tiergate simulate-leases}: N gateway instances sharing one organisation's budget row, with the real lease
 * rule ({@link BudgetEscrow}) on a simulated clock. The row is DynamoDB's in miniature: every room-taking write is
 * checked against the limit, and every write is counted. Prints the writes per second on the row (leases, per-request
 * reservations and the settlement batches that move spend out of the leases) and the requests refused while a single
 * perfectly shared ledger would still have had room for them.
 */
@Command(name = "simulate-leases", mixinStandardHelpOptions = true,
        description = {"Simulate N gateway instances x R requests/s on one organisation's budget row with the lease rule; "
                + "print writes per second on that (hottest) row and requests refused while room remained.",
                "Each request holds its worst case for its duration and settles a random share of it; each instance writes "
                        + "its settlements in batches (48, or what waited --linger-ms) and runs its lease upkeep twice a second."})
final class LeaseSimulation implements Callable<Integer> {

    @Option(names = "--instances", defaultValue = "200", description = "Gateway instances (default: ${DEFAULT-VALUE}).")
    int instances;
    @Option(names = "--rate", defaultValue = "10000", description = "Requests per second over all instances (default: ${DEFAULT-VALUE}).")
    double rate;
    @Option(names = "--seconds", defaultValue = "60", description = "Simulated seconds (default: ${DEFAULT-VALUE}).")
    int seconds;
    @Option(names = "--limit", defaultValue = "1000000", description = "The row's limit in USD (default: ${DEFAULT-VALUE}); "
            + "a small one shows the end of a budget.")
    BigDecimal limit;
    @Option(names = "--worst-case", defaultValue = "0.002", description = "A request's worst-case cost in USD (default: ${DEFAULT-VALUE}).")
    BigDecimal worstCase;
    @Option(names = "--duration-ms", defaultValue = "800", description = "How long a request holds its worst case (default: ${DEFAULT-VALUE}).")
    int durationMs;
    @Option(names = "--linger-ms", defaultValue = "1000", description = "How long a settlement waits for others to share its write, "
            + "as `serve` does (default: ${DEFAULT-VALUE}); a batch of 48 is written at once.")
    int batchMs;
    @Option(names = "--seed", defaultValue = "7", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** A clock the simulation moves. */
    private static final class SimClock extends Clock {
        Instant now = Instant.parse("2026-12-07T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** One ledger row as DynamoDB keeps it: committed = spent + reserved + leased, checked against the limit. */
    private static final class Row implements LeaseLedger {
        final BigDecimal limit;
        final Clock clock;
        BigDecimal spent = BigDecimal.ZERO;
        BigDecimal reserved = BigDecimal.ZERO;
        final Map<String, BigDecimal> leases = new HashMap<>();
        final Map<String, Instant> until = new HashMap<>();
        long writes;

        Row(BigDecimal limit, Clock clock) {
            this.limit = limit;
            this.clock = clock;
        }

        BigDecimal committed() {
            return spent.add(reserved).add(leases.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add));
        }

        RowView view() {
            long live = leases.entrySet().stream().filter(e -> e.getValue().signum() > 0 && until.get(e.getKey()).isAfter(clock.instant())).count();
            return new RowView(committed(), (int) live);
        }

        @Override
        public LeaseChange changeLease(LedgerRow row, String holder, Usd delta, Instant u, boolean existing) {
            if (existing && !leases.containsKey(holder)) return new Lost();
            if (delta.amount().signum() > 0 && committed().add(delta.amount()).compareTo(limit) > 0) return new NoRoom(view());
            writes++;
            leases.merge(holder, delta.amount(), BigDecimal::add);
            until.put(holder, u);
            return new Changed(view());
        }

        @Override
        public boolean endLease(LedgerRow row, String holder, Usd amount) {
            BigDecimal l = leases.get(holder);
            if (l == null || l.compareTo(amount.amount()) != 0) return false;
            writes++;
            leases.remove(holder);
            until.remove(holder);
            return true;
        }

        @Override
        public int reclaimExpiredLeases(Instant now) {
            return 0;
        }

        @Override
        public Optional<Counted> takeAllowance(dev.tiergate.core.budget.RateRow row, int requests, long tokens) {
            throw new UnsupportedOperationException("the simulation has no rate limits");
        }

        @Override
        public LeaseChange changeSlots(dev.tiergate.core.budget.RateRow row, String holder, int delta, Instant until, boolean existing) {
            throw new UnsupportedOperationException("the simulation has no in-flight caps");
        }

        @Override
        public boolean endSlots(dev.tiergate.core.budget.RateRow row, String holder, int slots) {
            throw new UnsupportedOperationException("the simulation has no in-flight caps");
        }

        boolean reserve(BigDecimal amount) {
            if (committed().add(amount).compareTo(limit) > 0) return false;
            writes++;
            reserved = reserved.add(amount);
            return true;
        }
    }

    private record InFlight(Reservation hold, Instant ends, BigDecimal actual, int instance) {}

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (instances < 1 || instances > 100_000) throw usageError("--instances must be from 1 to 100000");
        if (rate <= 0 || rate > 10_000_000) throw usageError("--rate must be above 0");
        if (seconds < 1 || seconds > 3600) throw usageError("--seconds must be from 1 to 3600");
        if (batchMs < 1) throw usageError("--linger-ms must be at least 1");
        if (durationMs < 1) throw usageError("--duration-ms must be at least 1");
        if (limit.signum() <= 0 || worstCase.signum() <= 0) throw usageError("--limit and --worst-case must be above 0");
        SimClock clock = new SimClock();
        Row row = new Row(limit, clock);
        LedgerRow ledgerRow = new LedgerRow(new ScopeRef(Scope.ORG, "acme"), Period.MONTH, "month#2026-12", Optional.of(new Usd(limit)),
                Instant.parse("2027-01-01T00:00:00Z"));
        BudgetEscrow.Settings settings = BudgetEscrow.Settings.forLongestHold(Duration.ofSeconds(60));
        List<BudgetEscrow> gateways = new ArrayList<>();
        for (int i = 0; i < instances; i++) gateways.add(new BudgetEscrow(row, clock, settings, "i" + i));
        SplittableRandom random = new SplittableRandom(seed);
        ArrayDeque<InFlight> running = new ArrayDeque<>();
        List<List<InFlight>> unsettled = new ArrayList<>();
        for (int i = 0; i < instances; i++) unsettled.add(new ArrayList<>());
        BigDecimal inFlightWorst = BigDecimal.ZERO;
        long served = 0;
        long refused = 0;
        long refusedWithRoom = 0;
        long perRequest = 0;
        long[] writesPerSecond = new long[seconds];
        double perMs = rate / 1000.0;
        long ids = 0;
        for (int ms = 0; ms < seconds * 1000; ms++) {
            clock.now = clock.now.plusMillis(1);
            long before = row.writes;
            // Requests ending now: their settlement waits for their instance's next batch.
            while (!running.isEmpty() && !running.peekFirst().ends().isAfter(clock.now)) {
                InFlight f = running.pollFirst();
                unsettled.get(f.instance()).add(f);
            }
            int arrivals = poisson(random, perMs);
            for (int a = 0; a < arrivals; a++) {
                int inst = random.nextInt(instances);
                Reservation r = new Reservation("r" + ids++, new Usd(worstCase), List.of(ledgerRow), clock.now.plusMillis(durationMs));
                Optional<Reservation> held = gateways.get(inst).hold(r);
                if (held.isEmpty() && row.reserve(worstCase)) {
                    held = Optional.of(r);
                    perRequest++;
                }
                // What one perfectly shared ledger would say: spent plus what is really in flight.
                boolean roomRemained = row.spent.add(inFlightWorst).add(worstCase).compareTo(limit) <= 0;
                if (held.isEmpty()) {
                    refused++;
                    if (roomRemained) refusedWithRoom++;
                    continue;
                }
                served++;
                BigDecimal actual = worstCase.multiply(BigDecimal.valueOf(0.1 + 0.8 * random.nextDouble())).setScale(Usd.SCALE, java.math.RoundingMode.HALF_UP);
                running.addLast(new InFlight(held.get(), clock.now.plusMillis(durationMs), actual, inst));
                inFlightWorst = inFlightWorst.add(worstCase);
            }
            // An instance writes a batch once 48 wait or the oldest has waited the linger: one write on the row per batch.
            for (int i = 0; i < instances; i++) {
                List<InFlight> batch = unsettled.get(i);
                if (batch.isEmpty()) continue;
                if (batch.size() < 48 && batch.getFirst().ends().plusMillis(batchMs).isAfter(clock.now)) continue;
                row.writes++;
                for (InFlight f : batch) {
                    row.spent = row.spent.add(f.actual());
                    if (f.hold().leaseHolder().isPresent()) {
                        row.leases.merge(f.hold().leaseHolder().get(), f.actual().negate(), BigDecimal::add);
                        gateways.get(i).finished(f.hold(), new Usd(f.actual()));
                    } else {
                        row.reserved = row.reserved.subtract(f.hold().amount().amount());
                    }
                    inFlightWorst = inFlightWorst.subtract(worstCase);
                }
                batch.clear();
            }
            for (int i = ms % 500; i < instances; i += 500) gateways.get(i).maintain();
            writesPerSecond[ms / 1000] += row.writes - before;
        }
        long max = 0;
        long total = 0;
        for (long w : writesPerSecond) {
            max = Math.max(max, w);
            total += w;
        }
        System.out.printf(Locale.ROOT, "%d instances, %.0f requests/s for %d s on one organisation row (limit $%s, worst case $%s, %d ms each)%n",
                instances, rate, seconds, limit.toPlainString(), worstCase.toPlainString(), durationMs);
        System.out.printf(Locale.ROOT, "served %d, refused %d, of which refused while room remained: %d (the room was in other instances' "
                + "leases at that moment)%n", served, refused, refusedWithRoom);
        System.out.printf(Locale.ROOT, "budget spent by the end: %.4f%% of the limit%n", row.spent.multiply(BigDecimal.valueOf(100))
                .divide(limit, java.math.MathContext.DECIMAL64).doubleValue());
        System.out.printf(Locale.ROOT, "held on leases: %d, reserved one by one: %d%n", served - perRequest, perRequest);
        System.out.printf(Locale.ROOT, "writes on the hottest row: %.0f per second on average, %d in the busiest second%n", total / (double) seconds, max);
        System.out.printf(Locale.ROOT, "row at the end: spent $%s, reserved $%s, leased $%s, limit $%s%n", row.spent.stripTrailingZeros().toPlainString(),
                row.reserved.stripTrailingZeros().toPlainString(),
                row.committed().subtract(row.spent).subtract(row.reserved).stripTrailingZeros().toPlainString(), limit.toPlainString());
        if (row.committed().compareTo(limit) > 0) throw new IllegalStateException("the row passed its limit");
        return 0;
    }

    /** A bad option value: picocli prints the message and the usage, and the exit code is 2. */
    private picocli.CommandLine.ParameterException usageError(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static int poisson(SplittableRandom random, double mean) {
        // Knuth's method; means here are a few per millisecond.
        double l = Math.exp(-mean);
        int k = 0;
        double p = 1;
        do {
            k++;
            p *= random.nextDouble();
        } while (p > l);
        return k - 1;
    }
}
