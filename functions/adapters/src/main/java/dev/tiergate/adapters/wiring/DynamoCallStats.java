package dev.tiergate.adapters.wiring;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Counts and times every DynamoDB call a client makes, by operation, and the write units its successful writes cost:
 * what the budget benchmark reports. Write units follow DynamoDB's rule (one per KB of item written, rounded up;
 * twice that inside a transaction); an update or delete is counted at one KB, which a ledger row stays under.
 */
public final class DynamoCallStats implements ExecutionInterceptor {

    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("tiergate.started");

    private final Map<String, ConcurrentLinkedQueue<Long>> micros = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder writeUnits = new java.util.concurrent.atomic.LongAdder();
    private final Map<String, java.util.concurrent.atomic.LongAdder> byThread = new ConcurrentHashMap<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
        byThread.computeIfAbsent(Thread.currentThread().getName(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        record(attributes);
        writeUnits.add(writeUnitsOf(context.request()));
    }

    /** The write units a request costs once it succeeded. */
    static long writeUnitsOf(software.amazon.awssdk.core.SdkRequest request) {
        return switch (request) {
            case software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest t -> t.transactItems().stream()
                    .mapToLong(i -> 2 * (i.put() != null ? kilobytes(i.put().item()) : 1)).sum();
            case software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest b -> b.requestItems().values().stream()
                    .flatMap(List::stream).mapToLong(w -> w.putRequest() != null ? kilobytes(w.putRequest().item()) : 1).sum();
            case software.amazon.awssdk.services.dynamodb.model.PutItemRequest p -> kilobytes(p.item());
            case software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest u -> 1;
            case software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest d -> 1;
            default -> 0;
        };
    }

    /** An item's size as DynamoDB counts it (names and values), in KB rounded up. */
    static long kilobytes(Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item) {
        long bytes = 0;
        for (var e : item.entrySet()) bytes += e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + size(e.getValue());
        return Math.max(1, (bytes + 1023) / 1024);
    }

    private static long size(software.amazon.awssdk.services.dynamodb.model.AttributeValue v) {
        if (v.s() != null) return v.s().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (v.n() != null) return v.n().length() / 2 + 2;
        if (v.bool() != null || v.nul() != null) return 1;
        if (v.hasM()) return 3 + v.m().entrySet().stream().mapToLong(e -> e.getKey().length() + 1 + size(e.getValue())).sum();
        if (v.hasL()) return 3 + v.l().stream().mapToLong(x -> 1 + size(x)).sum();
        return v.b() != null ? v.b().asByteArray().length : 0;
    }

    /** Write units of the calls that succeeded since the last reset. */
    public long writeUnits() {
        return writeUnits.sum();
    }

    /** Calls made on the named thread since the last reset (e.g. the one that handles requests). */
    public long callsOn(String threadName) {
        var n = byThread.get(threadName);
        return n == null ? 0 : n.sum();
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        record(attributes);
    }

    private void record(ExecutionAttributes attributes) {
        Long start = attributes.getAttribute(STARTED);
        String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (start != null && op != null) micros.computeIfAbsent(op, k -> new ConcurrentLinkedQueue<>()).add((System.nanoTime() - start) / 1000);
    }

    public void reset() {
        micros.clear();
        writeUnits.reset();
        byThread.clear();
    }

    /** Calls per operation. */
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new TreeMap<>();
        micros.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }

    /** Sorted durations of one operation, in microseconds. */
    public List<Long> durations(String operation) {
        List<Long> out = new ArrayList<>(micros.getOrDefault(operation, new ConcurrentLinkedQueue<>()));
        out.sort(null);
        return out;
    }
}
