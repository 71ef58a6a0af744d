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

/** Counts and times every DynamoDB call a client makes, by operation: what the budget benchmark reports. */
public final class DynamoCallStats implements ExecutionInterceptor {

    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("tiergate.started");

    private final Map<String, ConcurrentLinkedQueue<Long>> micros = new ConcurrentHashMap<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        record(attributes);
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
