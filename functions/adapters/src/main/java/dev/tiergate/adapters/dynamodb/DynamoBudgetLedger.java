package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.budget.BudgetCalendar;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.PeriodState;
import dev.tiergate.core.budget.RateLimitKind;
import dev.tiergate.core.budget.RateRow;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.UsageRecord;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The ledger in DynamoDB. A row per (scope, period) keeps {@code committed} = spent + reserved, so that one condition
 * ({@code committed <= limit - amount}; DynamoDB conditions cannot add) guards each limit. Reserve, settle and release
 * are each one {@code TransactWriteItems}: every row and the reservation record change together or not at all, and
 * settle/release write the usage record in the same transaction, so the ledger equals the usage records exactly.
 * The Enhanced Client cannot express ADD with a condition inside a transaction; this is the low-level client.
 */
public final class DynamoBudgetLedger implements BudgetLedger {

    private static final System.Logger LOG = System.getLogger(DynamoBudgetLedger.class.getName());
    private static final int MAX_ATTEMPTS = 40;

    private final DynamoDbClient ddb;
    private final TableNames tables;
    private final java.time.Clock clock;

    public DynamoBudgetLedger(DynamoDbClient ddb, TableNames tables, java.time.Clock clock) {
        this.ddb = ddb;
        this.tables = tables;
        this.clock = clock;
    }

    /** On the system clock (tests). */
    public DynamoBudgetLedger(DynamoDbClient ddb, TableNames tables) {
        this(ddb, tables, java.time.Clock.systemUTC());
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(BigDecimal v) {
        return AttributeValue.fromN(v.stripTrailingZeros().toPlainString());
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private Map<String, AttributeValue> rowKey(ScopeRef owner, String periodKey) {
        return rowKey(owner.key(), periodKey);
    }

    private static Map<String, AttributeValue> rowKey(String owner, String periodKey) {
        return Map.of("owner", s(owner), "period", s(periodKey));
    }

    /** What settle, release and the sweeper give back or correct on the rate-limit rows. */
    private void rateRowsDone(Reservation r, List<TransactWriteItem> items, long actualTokens, boolean countTokens) {
        for (RateRow rr : r.rateRows()) {
            if (countTokens && rr.limits().tokensPerMinute().isPresent()) {
                items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey("rate#" + rr.owner(), rr.minuteKey()))
                        .updateExpression("ADD tokens :d").expressionAttributeValues(Map.of(":d", n(actualTokens - rr.tokens()))).build()).build());
            }
            if (rr.limits().maxConcurrent().isPresent()) {
                items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey("rate#" + rr.owner(), IN_FLIGHT))
                        .updateExpression("ADD inflight :m").expressionAttributeValues(Map.of(":m", n(-1))).build()).build());
            }
        }
    }

    /** Hour rows expire after 40 days, day rows after 400; month rows are kept. */
    private static long expiry(LedgerRow row) {
        return switch (row.period()) {
            case HOUR -> row.resetsAt().plus(40, ChronoUnit.DAYS).getEpochSecond();
            case DAY -> row.resetsAt().plus(400, ChronoUnit.DAYS).getEpochSecond();
            default -> row.resetsAt().plus(3650, ChronoUnit.DAYS).getEpochSecond();
        };
    }

    @Override
    public Hold reserve(Reservation r) {
        BigDecimal a = r.amount().amount();
        for (LedgerRow row : r.rows()) {
            // A limit smaller than the amount itself needs no round trip.
            if (row.limit().isPresent() && row.limit().get().amount().compareTo(a) < 0) return new Refused(row);
        }
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().put(Put.builder().tableName(tables.reservations()).item(reservationItem(r))
                .conditionExpression("attribute_not_exists(request_id)").build()).build());
        for (LedgerRow row : r.rows()) {
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":a", n(a));
            values.put(":exp", n(expiry(row)));
            Update.Builder u = Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("ADD committed :a, reserved :a SET expires_at = if_not_exists(expires_at, :exp)");
            if (row.limit().isPresent()) {
                values.put(":max", n(row.limit().get().amount().subtract(a)));
                u.conditionExpression("attribute_not_exists(committed) OR committed <= :max");
            }
            items.add(TransactWriteItem.builder().update(u.expressionAttributeValues(values).build()).build());
        }
        // The rate-limit items of the transaction, in order, so that a cancellation reason names its limit.
        record RateItem(RateRow row, RateLimitKind kind) {}
        List<RateItem> rateItems = new ArrayList<>();
        for (int i = 0; i < r.rateRows().size(); i++) {
            RateRow rr = r.rateRows().get(i);
            var l = rr.limits();
            if (l.requestsPerMinute().isPresent() || l.tokensPerMinute().isPresent()) {
                Map<String, AttributeValue> v = new HashMap<>();
                v.put(":one", n(1));
                v.put(":t", n(rr.tokens()));
                v.put(":exp", n(clock.instant().plus(1, ChronoUnit.DAYS).getEpochSecond()));
                List<String> conds = new ArrayList<>();
                l.requestsPerMinute().ifPresent(max -> {
                    v.put(":rmax", n(max - 1));
                    conds.add("(attribute_not_exists(requests) OR requests <= :rmax)");
                });
                l.tokensPerMinute().ifPresent(max -> {
                    v.put(":tmax", n((long) max - rr.tokens()));
                    conds.add("(attribute_not_exists(tokens) OR tokens <= :tmax)");
                });
                if (l.tokensPerMinute().isPresent() && l.tokensPerMinute().get() < rr.tokens()) return new Throttled(rr, RateLimitKind.TOKENS_PER_MINUTE);
                items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger())
                        .key(rowKey("rate#" + rr.owner(), rr.minuteKey()))
                        .updateExpression("ADD requests :one, tokens :t SET expires_at = if_not_exists(expires_at, :exp)")
                        .conditionExpression(String.join(" AND ", conds)).expressionAttributeValues(v).build()).build());
                rateItems.add(new RateItem(rr, l.requestsPerMinute().isPresent() && l.tokensPerMinute().isPresent()
                        ? RateLimitKind.REQUESTS_OR_TOKENS_PER_MINUTE
                        : l.requestsPerMinute().isPresent() ? RateLimitKind.REQUESTS_PER_MINUTE : RateLimitKind.TOKENS_PER_MINUTE));
            }
            if (l.maxConcurrent().isPresent()) {
                items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger())
                        .key(rowKey("rate#" + rr.owner(), IN_FLIGHT)).updateExpression("ADD inflight :one")
                        .conditionExpression("attribute_not_exists(inflight) OR inflight <= :cmax")
                        .expressionAttributeValues(Map.of(":one", n(1), ":cmax", n(l.maxConcurrent().get() - 1))).build()).build());
                rateItems.add(new RateItem(rr, RateLimitKind.MAX_CONCURRENT));
            }
        }
        try {
            transact(items, () -> "reserve " + r.requestId());
            return new Held(r);
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            int budgetItems = 1 + r.rows().size();
            for (int i = budgetItems; i < reasons.size(); i++) {
                if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                    RateItem which = rateItems.get(i - budgetItems);
                    return new Throttled(which.row(), which.kind());
                }
            }
            for (int i = 1; i < budgetItems && i < reasons.size(); i++) {
                if ("ConditionalCheckFailed".equals(reasons.get(i).code())) return new Refused(r.rows().get(i - 1));
            }
            if (!reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.get(0).code())) {
                throw new IllegalStateException("request id " + r.requestId() + " already holds a reservation");
            }
            throw e;
        }
    }

    @Override
    public Hold extend(Reservation r, Usd extra) {
        BigDecimal e = extra.amount();
        Reservation bigger = r.withAmount(r.amount().plus(extra));
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.reservations())
                .key(Map.of("request_id", s(r.requestId()))).updateExpression("SET amount = :a")
                .conditionExpression("attribute_exists(request_id)")
                .expressionAttributeValues(Map.of(":a", n(bigger.amount().amount()))).build()).build());
        for (LedgerRow row : r.rows()) {
            if (row.limit().isPresent() && row.limit().get().amount().compareTo(e) < 0) return new Refused(row);
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":e", n(e));
            Update.Builder u = Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("ADD committed :e, reserved :e");
            if (row.limit().isPresent()) {
                values.put(":max", n(row.limit().get().amount().subtract(e)));
                u.conditionExpression("committed <= :max");
            }
            items.add(TransactWriteItem.builder().update(u.expressionAttributeValues(values).build()).build());
        }
        try {
            transact(items, () -> "extend " + r.requestId());
            return new Held(bigger);
        } catch (TransactionCanceledException ex) {
            List<CancellationReason> reasons = ex.cancellationReasons();
            for (int i = 1; i < reasons.size(); i++) {
                if ("ConditionalCheckFailed".equals(reasons.get(i).code())) return new Refused(r.rows().get(i - 1));
            }
            throw ex;
        }
    }

    @Override
    public void settle(Reservation r, UsageRecord usage) {
        finish(r, usage, usage.cost().amount(), "settle");
    }

    @Override
    public void release(Reservation r, UsageRecord usage) {
        finish(r, usage, usage.cost().amount(), "release");
    }

    /** DynamoDB's limit of items in one transaction. */
    private static final int MAX_TRANSACTION_ITEMS = 100;

    /**
     * Several settlements in as few transactions as fit 100 items: each request's reservation delete and usage put,
     * with the row changes summed per row. When one of them cannot go through as planned (a reservation the sweeper
     * took, a usage record already written by a replay), the whole transaction is cancelled and that chunk is finished
     * request by request, where each case is handled.
     */
    @Override
    public void finishAll(List<Settlement> settlements) {
        // One transaction may not name an item twice: a request replayed from two journals is settled once here.
        Map<String, Settlement> unique = new java.util.LinkedHashMap<>();
        for (Settlement s : settlements) unique.putIfAbsent(s.usage().requestId(), s);
        List<Settlement> all = new ArrayList<>(unique.values());
        int from = 0;
        while (from < all.size()) {
            Map<String, Map<String, BigDecimal>> deltas = new java.util.LinkedHashMap<>();
            Map<String, Map<String, AttributeValue>> keys = new HashMap<>();
            List<TransactWriteItem> perRequest = new ArrayList<>();
            int to = from;
            while (to < all.size()) {
                Settlement s = all.get(to);
                Map<String, Map<String, BigDecimal>> own = new java.util.LinkedHashMap<>();
                Map<String, Map<String, AttributeValue>> ownKeys = new HashMap<>();
                addDeltas(s, own, ownKeys);
                long newRows = own.keySet().stream().filter(k -> !deltas.containsKey(k)).count();
                if (to > from && perRequest.size() + 2 + deltas.size() + newRows > MAX_TRANSACTION_ITEMS) break;
                own.forEach((k, adds) -> adds.forEach((field, v) ->
                        deltas.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>()).merge(field, v, BigDecimal::add)));
                keys.putAll(ownKeys);
                Reservation r = reservationOf(s);
                if (r.recorded()) {
                    perRequest.add(TransactWriteItem.builder().delete(Delete.builder().tableName(tables.reservations())
                            .key(Map.of("request_id", s(r.requestId()))).conditionExpression("attribute_exists(request_id)").build()).build());
                }
                perRequest.add(usagePut(s.usage()));
                to++;
            }
            List<Settlement> chunk = all.subList(from, to);
            from = to;
            if (chunk.size() == 1) {
                finishOne(chunk.getFirst());
                continue;
            }
            List<TransactWriteItem> items = new ArrayList<>(perRequest);
            deltas.forEach((k, adds) -> items.add(TransactWriteItem.builder().update(rowDeltas(keys.get(k), adds)).build()));
            try {
                transact(items, () -> "settle " + chunk.size() + " requests");
            } catch (TransactionCanceledException e) {
                for (Settlement s : chunk) finishOne(s);
            }
        }
    }

    private static Reservation reservationOf(Settlement s) {
        return switch (s) {
            case Settlement.Settle x -> x.reservation();
            case Settlement.Release x -> x.reservation();
            case Settlement.RecordOnly x -> throw new IllegalArgumentException("a usage record alone is not a ledger change");
        };
    }

    private void finishOne(Settlement s) {
        finish(reservationOf(s), s.usage(), s.usage().cost().amount(), s instanceof Settlement.Settle ? "settle" : "release");
    }

    /** The row changes {@link #finish} makes for one settlement, added into per-row sums. */
    private static void addDeltas(Settlement s, Map<String, Map<String, BigDecimal>> deltas, Map<String, Map<String, AttributeValue>> keys) {
        Reservation r = reservationOf(s);
        BigDecimal a = r.amount().amount();
        BigDecimal actual = s.usage().cost().amount();
        for (LedgerRow row : r.rows()) {
            if (r.leaseHolder().isPresent() && actual.signum() == 0) continue; // nothing moves out of the lease
            String k = row.owner().key() + "|" + row.periodKey();
            keys.put(k, rowKey(row.owner().key(), row.periodKey()));
            Map<String, BigDecimal> d = deltas.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>());
            if (r.leaseHolder().isPresent()) {
                // Held on a lease: the spend moves from the holder's lease to spent; committed does not change.
                d.merge(LEASE + r.leaseHolder().get(), actual.negate(), BigDecimal::add);
                d.merge("leased", actual.negate(), BigDecimal::add);
            } else {
                d.merge("committed", actual.subtract(a), BigDecimal::add);
                d.merge("reserved", a.negate(), BigDecimal::add);
            }
            d.merge("spent", actual, BigDecimal::add);
        }
        long tokens = s.usage().tokens().totalTokens();
        // Rate rows of a reservation held on leases were counted as an instance's allowance: nothing to settle there.
        for (RateRow rr : r.leaseHolder().isPresent() ? List.<RateRow>of() : r.rateRows()) {
            if (rr.limits().tokensPerMinute().isPresent()) {
                String k = "rate#" + rr.owner() + "|" + rr.minuteKey();
                keys.put(k, rowKey("rate#" + rr.owner(), rr.minuteKey()));
                deltas.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>()).merge("tokens", BigDecimal.valueOf(tokens - rr.tokens()), BigDecimal::add);
            }
            if (rr.limits().maxConcurrent().isPresent()) {
                String k = "rate#" + rr.owner() + "|inflight";
                keys.put(k, rowKey("rate#" + rr.owner(), IN_FLIGHT));
                deltas.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>()).merge("inflight", BigDecimal.valueOf(-1), BigDecimal::add);
            }
        }
    }

    /** Replaces the held amount by {@code actual} on every row, drops the reservation and writes the usage record. */
    private void finish(Reservation r, UsageRecord usage, BigDecimal actual, String what) {
        if (!r.recorded() && r.leaseHolder().isEmpty()) {
            putUsageOnce(usage); // nothing was held anywhere: no limited row counts it
            return;
        }
        List<TransactWriteItem> items = new ArrayList<>();
        if (r.recorded()) {
            items.add(TransactWriteItem.builder().delete(Delete.builder().tableName(tables.reservations())
                    .key(Map.of("request_id", s(r.requestId()))).conditionExpression("attribute_exists(request_id)").build()).build());
            chargeRows(r, actual, items);
            rateRowsDone(r, items, usage.tokens().totalTokens(), true);
        } else if (actual.signum() != 0) {
            for (LedgerRow row : r.rows()) {
                Map<String, BigDecimal> d = new java.util.LinkedHashMap<>();
                d.put(LEASE + r.leaseHolder().get(), actual.negate());
                d.put("leased", actual.negate());
                d.put("spent", actual);
                items.add(TransactWriteItem.builder().update(rowDeltas(rowKey(row.owner(), row.periodKey()), d)).build());
            }
        }
        items.add(usagePut(usage));
        try {
            transact(items, () -> what + " " + r.requestId());
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            boolean usageThere = !reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.getLast().code());
            if (usageThere) return; // already settled: a second settle must not count twice
            boolean holdGone = reasons.stream().limit(Math.max(0, reasons.size() - 1)).anyMatch(x -> "ConditionalCheckFailed".equals(x.code()));
            if (!holdGone) throw e;
            // The sweeper gave the hold back (the request or its lease outlived its deadline): charge what was produced anyway.
            LOG.log(System.Logger.Level.WARNING, "request {0} finished after its reservation was swept; charging {1}", r.requestId(), actual);
            List<TransactWriteItem> late = new ArrayList<>();
            for (LedgerRow row : r.rows()) {
                late.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                        .updateExpression("ADD committed :s, spent :s").expressionAttributeValues(Map.of(":s", n(actual))).build()).build());
            }
            late.add(usagePut(usage));
            try {
                transact(late, () -> "late " + what + " " + r.requestId());
            } catch (TransactionCanceledException again) {
                if (!"ConditionalCheckFailed".equals(again.cancellationReasons().getLast().code())) throw again;
            }
        }
    }

    /**
     * Ends an expired reservation as a settlement of what it journaled: the usage record and the charge in one write,
     * the rest of the hold given back. The request's process is gone; had it settled first, the condition fails.
     */
    private boolean chargeStale(Reservation r, UsageRecord journaled) {
        BigDecimal actual = journaled.cost().amount();
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(staleReservationDelete(r));
        if (r.recorded()) {
            chargeRows(r, actual, items);
            rateRowsDone(r, items, 0, false);
        } else {
            // A stream held on a lease (or on nothing) journaled this: its hold goes back with the lease, the tokens
            // are charged here.
            for (LedgerRow row : r.rows()) {
                items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                        .updateExpression("ADD committed :s, spent :s").expressionAttributeValues(Map.of(":s", n(actual))).build()).build());
            }
        }
        items.add(usagePut(journaled));
        try {
            transact(items, () -> "charge journaled " + r.requestId());
            return true;
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            if (!r.recorded() && !reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.getLast().code())) {
                // The stream settled after all: only its journal is left to drop.
                ddb.deleteItem(b -> b.tableName(tables.reservations()).key(Map.of("request_id", s(r.requestId()))));
            }
            return false;
        }
    }

    /** Deletes the reservation only if it is still there and past its deadline: the sweeper never races a live request. */
    private TransactWriteItem staleReservationDelete(Reservation r) {
        return TransactWriteItem.builder().delete(Delete.builder().tableName(tables.reservations())
                .key(Map.of("request_id", s(r.requestId())))
                .conditionExpression("attribute_exists(request_id) AND deadline_ms < :now")
                .expressionAttributeValues(Map.of(":now", n(clock.millis()))).build()).build();
    }

    /** On every row of the reservation: the hold replaced by {@code actual}, which is added to what was spent. */
    private void chargeRows(Reservation r, BigDecimal actual, List<TransactWriteItem> items) {
        BigDecimal a = r.amount().amount();
        for (LedgerRow row : r.rows()) {
            items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("ADD committed :d, reserved :neg, spent :s")
                    .expressionAttributeValues(Map.of(":d", n(actual.subtract(a)), ":neg", n(a.negate()), ":s", n(actual))).build()).build());
        }
    }

    private TransactWriteItem usagePut(UsageRecord usage) {
        return TransactWriteItem.builder().put(Put.builder().tableName(tables.usage())
                .item(UsageItem.SCHEMA.itemToMap(UsageItem.from(usage), true))
                .conditionExpression("attribute_not_exists(pk)").build()).build();
    }

    /** A holder's lease on a row, its deadline (epoch ms) and the sequence of its last write: attributes of the row. */
    static final String LEASE = "lease#";
    static final String UNTIL = "until#";
    static final String SEQ = "seq#";

    /** Orders this process's lease writes, so an SDK retry of a write that did land is recognised and not applied twice. */
    private final java.util.concurrent.atomic.AtomicLong leaseSeq = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis() * 1000);

    /** One row's summed changes as an ADD; a holder's lease field must still exist, or the spend is not its to move. */
    private Update rowDeltas(Map<String, AttributeValue> key, Map<String, BigDecimal> adds) {
        StringBuilder expr = new StringBuilder("ADD ");
        Map<String, AttributeValue> values = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        List<String> conditions = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, BigDecimal> e : adds.entrySet()) {
            if (i > 0) expr.append(", ");
            expr.append("#f").append(i).append(" :v").append(i);
            names.put("#f" + i, e.getKey());
            values.put(":v" + i, n(e.getValue()));
            if (e.getKey().startsWith(LEASE)) conditions.add("attribute_exists(#f" + i + ")");
            i++;
        }
        Update.Builder u = Update.builder().tableName(tables.ledger()).key(key).updateExpression(expr.toString())
                .expressionAttributeNames(names).expressionAttributeValues(values);
        if (!conditions.isEmpty()) u.conditionExpression(String.join(" AND ", conditions));
        return u.build();
    }

    /** A usage record of a request that held nothing: written once, by request id. */
    private void putUsageOnce(UsageRecord usage) {
        try {
            ddb.putItem(b -> b.tableName(tables.usage()).item(UsageItem.SCHEMA.itemToMap(UsageItem.from(usage), true))
                    .conditionExpression("attribute_not_exists(pk)"));
        } catch (ConditionalCheckFailedException already) {
            // written before: a replay counts once
        }
    }

    /** A key's or team's requests in flight: one row per rate owner, counted by reservations and leased slots. */
    private static final String IN_FLIGHT = "inflight";
    /** What a leased row counts its limit against: a budget row its committed dollars, an in-flight row its requests. */
    private static final String COMMITTED = "committed";

    /** A leased row: its key, the attribute a lease adds to, its limit, and how long the row is kept (none: always). */
    private record LeasedRow(String owner, String period, String counter, Optional<BigDecimal> limit, Optional<Long> expiresAt) {}

    private static LeasedRow leased(LedgerRow row) {
        return new LeasedRow(row.owner().key(), row.periodKey(), COMMITTED, row.limit().map(Usd::amount), Optional.of(expiry(row)));
    }

    private static LeasedRow leased(RateRow row) {
        // The in-flight row is never expired: a count dropped under a live lease would let the cap be passed.
        return new LeasedRow("rate#" + row.owner(), IN_FLIGHT, IN_FLIGHT, row.limits().maxConcurrent().map(BigDecimal::valueOf), Optional.empty());
    }

    @Override
    public LeaseChange changeLease(LedgerRow row, String holder, Usd delta, Instant until, boolean existing) {
        return changeLease(leased(row), holder, delta.amount(), until, existing);
    }

    @Override
    public LeaseChange changeSlots(RateRow row, String holder, int delta, Instant until, boolean existing) {
        return changeLease(leased(row), holder, BigDecimal.valueOf(delta), until, existing);
    }

    private LeaseChange changeLease(LeasedRow row, String holder, BigDecimal d, Instant until, boolean existing) {
        long seq = leaseSeq.incrementAndGet();
        Map<String, String> names = Map.of("#c", row.counter(), "#l", LEASE + holder, "#u", UNTIL + holder, "#q", SEQ + holder);
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":d", n(d));
        values.put(":u", n(until.toEpochMilli()));
        values.put(":q", n(seq));
        List<String> conds = new ArrayList<>(List.of("(attribute_not_exists(#q) OR #q < :q)"));
        if (existing) conds.add("attribute_exists(#l)");
        if (d.signum() > 0) {
            BigDecimal limit = row.limit().orElseThrow(() -> new IllegalArgumentException("only a row with a limit is leased"));
            values.put(":max", n(limit.subtract(d)));
            // A row not yet written has committed nothing; more than its whole limit never fits.
            conds.add(limit.compareTo(d) >= 0 ? "(attribute_not_exists(#c) OR #c <= :max)" : "#c <= :max");
        }
        String set = "SET #u = :u, #q = :q";
        if (row.expiresAt().isPresent()) {
            values.put(":exp", n(row.expiresAt().get()));
            set += ", expires_at = if_not_exists(expires_at, :exp)";
        }
        // A first lease of this holder on the row is registered first, so the sweeper finds it by scanning the small
        // reservations table, never the ledger; a registration whose lease was refused is dropped by the sweeper.
        if (!existing && d.signum() > 0) register(row, holder, until);
        Map<String, AttributeValue> key = rowKey(row.owner(), row.period());
        UpdateItemRequest req = UpdateItemRequest.builder().tableName(tables.ledger()).key(key)
                .updateExpression("ADD #c :d, leased :d, #l :d " + set)
                .conditionExpression(String.join(" AND ", conds)).expressionAttributeNames(names).expressionAttributeValues(values)
                .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW).build();
        try {
            return new Changed(view(updateRetryingConflicts(req), row.counter()));
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(tables.ledger()).key(key).consistentRead(true)).item();
            if (number(item, SEQ + holder).longValue() >= seq) return new Changed(view(item, row.counter())); // a retry of a write that landed
            boolean leases = item != null && item.containsKey(LEASE + holder);
            if (existing && !leases) return new Lost();
            if (!existing && !leases && d.signum() > 0) {
                // The first lease was refused: its registration has nothing to point at.
                ddb.deleteItem(b -> b.tableName(tables.reservations()).key(Map.of("request_id", s(registration(row.owner(), row.period(), holder)))));
            }
            return new NoRoom(view(item, row.counter()));
        }
    }

    @Override
    public boolean endLease(LedgerRow row, String holder, Usd amount) {
        return endLease(leased(row), holder, amount.amount());
    }

    @Override
    public boolean endSlots(RateRow row, String holder, int slots) {
        return endLease(leased(row), holder, BigDecimal.valueOf(slots));
    }

    private boolean endLease(LeasedRow row, String holder, BigDecimal amount) {
        try {
            updateRetryingConflicts(UpdateItemRequest.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.period()))
                    .updateExpression("ADD #c :neg, leased :neg REMOVE #l, #u, #q").conditionExpression("#l = :a")
                    .expressionAttributeNames(Map.of("#c", row.counter(), "#l", LEASE + holder, "#u", UNTIL + holder, "#q", SEQ + holder))
                    .expressionAttributeValues(Map.of(":neg", n(amount.negate()), ":a", n(amount))).build());
            ddb.deleteItem(b -> b.tableName(tables.reservations()).key(Map.of("request_id", s(registration(row.owner(), row.period(), holder)))));
            return true;
        } catch (ConditionalCheckFailedException other) {
            return false;
        }
    }

    private static String registration(String owner, String periodKey, String holder) {
        return "lease#" + holder + "#" + owner + "|" + periodKey;
    }

    /** Notes in the reservations table that {@code holder} leases on the row, with the lease's deadline. */
    private void register(LeasedRow row, String holder, Instant until) {
        Map<String, AttributeValue> item = new HashMap<>(Map.of(
                "request_id", s(registration(row.owner(), row.period(), holder)),
                "lease_owner", s(row.owner()), "lease_period", s(row.period()), "lease_holder", s(holder),
                "deadline_ms", n(until.toEpochMilli()), "expires_at", n(until.plus(30, ChronoUnit.DAYS).getEpochSecond())));
        if (!row.counter().equals(COMMITTED)) item.put("lease_counter", s(row.counter()));
        ddb.putItem(b -> b.tableName(tables.reservations()).item(item));
    }

    /**
     * One conditional update, tried again while a transaction holds the row ({@code TransactionConflict}: DynamoDB
     * cancels rather than queues). Safe to repeat: a lease write carries its sequence number.
     */
    private Map<String, AttributeValue> updateRetryingConflicts(UpdateItemRequest req) {
        for (int attempt = 1; ; attempt++) {
            try {
                return ddb.updateItem(req).attributes();
            } catch (software.amazon.awssdk.services.dynamodb.model.TransactionConflictException e) {
                if (attempt >= MAX_ATTEMPTS) throw e;
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(1, Math.min(50, 2L << Math.min(attempt, 5))));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while changing a lease", ie);
            }
        }
    }

    @Override
    public Optional<Counted> takeAllowance(RateRow rr, int requests, long tokens) {
        var l = rr.limits();
        Map<String, AttributeValue> v = new HashMap<>();
        v.put(":k", n(requests));
        v.put(":t", n(tokens));
        v.put(":exp", n(clock.instant().plus(1, ChronoUnit.DAYS).getEpochSecond()));
        List<String> conds = new ArrayList<>();
        if (l.requestsPerMinute().isPresent()) {
            if (l.requestsPerMinute().get() < requests) return Optional.empty();
            v.put(":rmax", n(l.requestsPerMinute().get() - requests));
            conds.add("(attribute_not_exists(requests) OR requests <= :rmax)");
        }
        if (l.tokensPerMinute().isPresent()) {
            if (l.tokensPerMinute().get() < tokens) return Optional.empty();
            v.put(":tmax", n(l.tokensPerMinute().get() - tokens));
            conds.add("(attribute_not_exists(tokens) OR tokens <= :tmax)");
        }
        UpdateItemRequest.Builder b = UpdateItemRequest.builder().tableName(tables.ledger()).key(rowKey("rate#" + rr.owner(), rr.minuteKey()))
                .updateExpression("ADD requests :k, tokens :t SET expires_at = if_not_exists(expires_at, :exp)").expressionAttributeValues(v)
                .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW);
        if (!conds.isEmpty()) b.conditionExpression(String.join(" AND ", conds));
        try {
            Map<String, AttributeValue> after = updateRetryingConflicts(b.build());
            return Optional.of(new Counted(number(after, "requests").longValue(), number(after, "tokens").longValue()));
        } catch (ConditionalCheckFailedException full) {
            return Optional.empty();
        }
    }

    /** What the row counts against its limit ({@code counter}) and how many live leases it carries. */
    private RowView view(Map<String, AttributeValue> item, String counter) {
        long now = clock.millis();
        int holders = 0;
        if (item != null) {
            for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
                if (!e.getKey().startsWith(LEASE)) continue;
                String h = e.getKey().substring(LEASE.length());
                if (number(item, e.getKey()).signum() > 0 && number(item, UNTIL + h).longValue() > now) holders++;
            }
        }
        return new RowView(number(item, counter), holders);
    }

    /**
     * Walks the lease registrations past their deadline: a lease still renewed moves its registration's deadline on;
     * one expired is taken back (only if untouched since it was read); a registration with no lease left is dropped.
     */
    @Override
    public int reclaimExpiredLeases(Instant now) {
        int reclaimed = 0;
        Map<String, AttributeValue> start = null;
        do {
            ScanRequest.Builder b = ScanRequest.builder().tableName(tables.reservations()).consistentRead(true)
                    .filterExpression("attribute_exists(lease_owner) AND deadline_ms < :now")
                    .expressionAttributeValues(Map.of(":now", n(now.toEpochMilli())));
            if (start != null) b.exclusiveStartKey(start);
            var page = ddb.scan(b.build());
            for (Map<String, AttributeValue> reg : page.items()) {
                if (reclaim(reg, now)) reclaimed++;
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return reclaimed;
    }

    private boolean reclaim(Map<String, AttributeValue> reg, Instant now) {
        String owner = reg.get("lease_owner").s();
        String period = reg.get("lease_period").s();
        String h = reg.get("lease_holder").s();
        String counter = reg.containsKey("lease_counter") ? reg.get("lease_counter").s() : COMMITTED;
        Map<String, AttributeValue> key = rowKey(owner, period);
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(tables.ledger()).key(key).consistentRead(true)).item();
        AttributeValue lease = item == null ? null : item.get(LEASE + h);
        AttributeValue until = item == null ? null : item.get(UNTIL + h);
        Map<String, AttributeValue> regKey = Map.of("request_id", reg.get("request_id"));
        if (lease == null || until == null) {
            ddb.deleteItem(b -> b.tableName(tables.reservations()).key(regKey)); // returned, or never granted
            return false;
        }
        if (Long.parseLong(until.n()) >= now.toEpochMilli()) {
            try {
                // Renewed since: look again at its new deadline (unless the lease ended and took its registration).
                ddb.updateItem(b -> b.tableName(tables.reservations()).key(regKey).updateExpression("SET deadline_ms = :u")
                        .conditionExpression("attribute_exists(lease_owner)").expressionAttributeValues(Map.of(":u", until)));
            } catch (ConditionalCheckFailedException ended) {
                // returned meanwhile
            }
            return false;
        }
        BigDecimal amount = new BigDecimal(lease.n());
        try {
            ddb.updateItem(UpdateItemRequest.builder().tableName(tables.ledger()).key(key)
                    .updateExpression("ADD #c :neg, leased :neg REMOVE #l, #u, #q")
                    .conditionExpression("#u = :u AND #l = :a")
                    .expressionAttributeNames(Map.of("#c", counter, "#l", LEASE + h, "#u", UNTIL + h, "#q", SEQ + h))
                    .expressionAttributeValues(Map.of(":neg", n(amount.negate()), ":u", until, ":a", lease)).build());
        } catch (ConditionalCheckFailedException changed) {
            return false; // renewed or spent from meanwhile: the next pass looks again
        }
        ddb.deleteItem(b -> b.tableName(tables.reservations()).key(regKey));
        if (counter.equals(COMMITTED)) {
            LOG.log(System.Logger.Level.WARNING, "reclaimed the expired budget lease of {0} on {1} {2}: ${3}", h, owner, period, amount.toPlainString());
        } else {
            LOG.log(System.Logger.Level.WARNING, "reclaimed the expired in-flight lease of {0} on {1}: {2} slots", h, owner, amount.toPlainString());
        }
        return true;
    }

    @Override
    public List<Reservation> expired(Instant now, int max) {
        List<Reservation> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            ScanRequest.Builder b = ScanRequest.builder().tableName(tables.reservations()).consistentRead(true)
                    .filterExpression("deadline_ms < :now AND attribute_not_exists(lease_owner)")
                    .expressionAttributeValues(Map.of(":now", n(now.toEpochMilli())));
            if (start != null) b.exclusiveStartKey(start);
            var page = ddb.scan(b.build());
            for (Map<String, AttributeValue> item : page.items()) {
                out.add(fromItem(item));
                if (out.size() >= max) return out;
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    @Override
    public void journal(Reservation r, UsageRecord soFar) {
        if (!r.recorded()) {
            // No record of its own: the journal is one, so the sweeper can charge what a dead process's stream produced.
            Map<String, AttributeValue> item = new HashMap<>(reservationItem(r));
            item.put("journaled", AttributeValue.fromM(UsageItem.SCHEMA.itemToMap(UsageItem.from(soFar), true)));
            ddb.putItem(b -> b.tableName(tables.reservations()).item(item));
            return;
        }
        try {
            ddb.updateItem(UpdateItemRequest.builder().tableName(tables.reservations())
                    .key(Map.of("request_id", s(r.requestId())))
                    .updateExpression("SET journaled = :u").conditionExpression("attribute_exists(request_id)")
                    .expressionAttributeValues(Map.of(":u", AttributeValue.fromM(UsageItem.SCHEMA.itemToMap(UsageItem.from(soFar), true))))
                    .build());
        } catch (ConditionalCheckFailedException settled) {
            // settled (or swept) meanwhile: nothing left to journal
        }
    }

    @Override
    public boolean releaseStale(Reservation r) {
        if (r.journaled().isPresent()) return chargeStale(r, r.journaled().get());
        if (!r.recorded()) {
            ddb.deleteItem(b -> b.tableName(tables.reservations()).key(Map.of("request_id", s(r.requestId()))));
            return false;
        }
        BigDecimal a = r.amount().amount();
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(staleReservationDelete(r));
        for (LedgerRow row : r.rows()) {
            items.add(TransactWriteItem.builder().update(Update.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("ADD committed :neg, reserved :neg").expressionAttributeValues(Map.of(":neg", n(a.negate()))).build()).build());
        }
        rateRowsDone(r, items, 0, false);
        try {
            transact(items, () -> "sweep " + r.requestId());
            return true;
        } catch (TransactionCanceledException e) {
            return false;
        }
    }

    @Override
    public List<PeriodState> state(ScopeRef owner, Instant at, BudgetCalendar calendar, Optional<BudgetPolicy> policy) {
        List<PeriodState> out = new ArrayList<>();
        for (Period p : new Period[]{Period.HOUR, Period.DAY, Period.MONTH}) {
            String key = calendar.periodKey(p, at);
            GetItemResponse res = ddb.getItem(b -> b.tableName(tables.ledger()).key(rowKey(owner, key)).consistentRead(true));
            BigDecimal spent = number(res.item(), "spent");
            BigDecimal reserved = number(res.item(), "reserved");
            BigDecimal leased = number(res.item(), "leased");
            out.add(new PeriodState(p, key, new Usd(spent), new Usd(reserved), new Usd(leased), policy.flatMap(x -> x.limit(p)),
                    calendar.resetsAt(p, at)));
        }
        return out;
    }

    @Override
    public boolean markWarned(LedgerRow row) {
        try {
            ddb.updateItem(UpdateItemRequest.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("SET warned = :t").conditionExpression("attribute_not_exists(warned)")
                    .expressionAttributeValues(Map.of(":t", AttributeValue.fromBool(true))).build());
            return true;
        } catch (ConditionalCheckFailedException already) {
            return false;
        }
    }

    @Override
    public Usd committed(LedgerRow row) {
        Map<String, AttributeValue> item = ddb.getItem(b -> b.tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                .consistentRead(true)).item();
        return new Usd(number(item, "spent").add(number(item, "reserved")));
    }

    @Override
    public void seed(LedgerRow row, Usd spentSoFar) {
        BigDecimal v = spentSoFar.amount();
        try {
            ddb.updateItem(UpdateItemRequest.builder().tableName(tables.ledger()).key(rowKey(row.owner(), row.periodKey()))
                    .updateExpression("SET committed = :v, spent = :v, expires_at = :exp")
                    .conditionExpression("attribute_not_exists(committed)")
                    .expressionAttributeValues(Map.of(":v", n(v), ":exp", n(expiry(row)))).build());
        } catch (ConditionalCheckFailedException exists) {
            // written already: its own count stands
        }
    }

    /** The committed amount of one row (spent + reserved). */
    public BigDecimal committed(ScopeRef owner, String periodKey) {
        return number(ddb.getItem(b -> b.tableName(tables.ledger()).key(rowKey(owner, periodKey)).consistentRead(true)).item(), "committed");
    }

    private static BigDecimal number(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item == null ? null : item.get(name);
        return v == null || v.n() == null ? BigDecimal.ZERO : new BigDecimal(v.n());
    }

    /** Runs a transaction, retrying with jittered backoff while other transactions hold the same rows. */
    private void transact(List<TransactWriteItem> items, Supplier<String> what) {
        for (int attempt = 1; ; attempt++) {
            try {
                ddb.transactWriteItems(TransactWriteItemsRequest.builder().transactItems(items).build());
                return;
            } catch (TransactionCanceledException e) {
                boolean conflict = e.cancellationReasons().stream().anyMatch(r -> "TransactionConflict".equals(r.code()));
                boolean failedCondition = e.cancellationReasons().stream().anyMatch(r -> "ConditionalCheckFailed".equals(r.code()));
                if (!conflict || failedCondition || attempt >= MAX_ATTEMPTS) throw e;
            } catch (software.amazon.awssdk.services.dynamodb.model.TransactionInProgressException e) {
                if (attempt >= MAX_ATTEMPTS) throw e;
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(1, Math.min(50, 2L << Math.min(attempt, 5))));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during " + what.get(), ie);
            }
        }
    }

    private Map<String, AttributeValue> reservationItem(Reservation r) {
        List<AttributeValue> rows = new ArrayList<>();
        for (LedgerRow row : r.rows()) {
            rows.add(AttributeValue.fromM(Map.of("owner", s(row.owner().key()), "period", s(row.period().wire()), "key", s(row.periodKey()),
                    "resets_at", s(row.resetsAt().toString()))));
        }
        List<AttributeValue> rates = new ArrayList<>();
        for (RateRow rr : r.rateRows()) {
            rates.add(AttributeValue.fromM(Map.of("owner", s(rr.owner()), "minute", s(rr.minuteKey()), "tokens", n(rr.tokens()),
                    "concurrent", AttributeValue.fromBool(rr.limits().maxConcurrent().isPresent()))));
        }
        Map<String, AttributeValue> item = new HashMap<>(Map.of("request_id", s(r.requestId()), "amount", n(r.amount().amount()),
                "deadline_ms", n(r.deadline().toEpochMilli()), "rows", AttributeValue.fromL(rows), "rates", AttributeValue.fromL(rates),
                "expires_at", n(r.deadline().plus(1, ChronoUnit.DAYS).getEpochSecond())));
        r.leaseHolder().ifPresent(h -> item.put("lease_holder", s(h)));
        return item;
    }

    private static Reservation fromItem(Map<String, AttributeValue> item) {
        List<LedgerRow> rows = new ArrayList<>();
        for (AttributeValue v : item.get("rows").l()) {
            Map<String, AttributeValue> m = v.m();
            String owner = m.get("owner").s();
            int hash = owner.indexOf('#');
            ScopeRef ref = new ScopeRef(Scope.fromWire(owner.substring(0, hash)).orElseThrow(), owner.substring(hash + 1));
            rows.add(new LedgerRow(ref, Period.fromWire(m.get("period").s()).orElseThrow(), m.get("key").s(), Optional.empty(),
                    Instant.parse(m.get("resets_at").s())));
        }
        List<RateRow> rates = new ArrayList<>();
        if (item.containsKey("rates")) {
            for (AttributeValue v : item.get("rates").l()) {
                Map<String, AttributeValue> m = v.m();
                // The sweeper only gives back the in-flight count, so only whether there was one matters here.
                var limits = new dev.tiergate.core.budget.RateLimits(Optional.empty(), Optional.empty(),
                        m.get("concurrent").bool() ? Optional.of(1) : Optional.empty());
                rates.add(new RateRow(m.get("owner").s(), m.get("minute").s(), limits, Integer.parseInt(m.get("tokens").n())));
            }
        }
        Optional<UsageRecord> journaled = item.containsKey("journaled")
                ? Optional.of(UsageItem.SCHEMA.mapToItem(item.get("journaled").m()).toRecord()) : Optional.empty();
        Optional<String> holder = item.containsKey("lease_holder") ? Optional.of(item.get("lease_holder").s()) : Optional.empty();
        return new Reservation(item.get("request_id").s(), new Usd(new BigDecimal(item.get("amount").n())), rows,
                Instant.ofEpochMilli(Long.parseLong(item.get("deadline_ms").n())), rates, journaled, holder);
    }
}
