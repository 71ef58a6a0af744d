package dev.tiergate.adapters.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.RequestOutcome;

import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * One structured JSON log line per request: request id, key id (never the key), team, tier, model, outcome, tokens,
 * cost, latency. Prompt and answer appear only for teams that opted in, and then already redacted by the core.
 * In Lambda the line goes to stdout, where CloudWatch Logs Insights can query it field by field.
 */
public final class RequestLog implements RequestObserver {

    private final ObjectMapper json;
    private final Consumer<String> sink;
    private final String service;

    public RequestLog(ObjectMapper json, Consumer<String> sink, String service) {
        this.json = json;
        this.sink = sink;
        this.service = service;
    }

    public static RequestLog toStdout(ObjectMapper json, String service) {
        PrintStream out = System.out;
        return new RequestLog(json, out::println, service);
    }

    @Override
    public void observe(RequestOutcome o) {
        ObjectNode n = json.createObjectNode();
        n.put("timestamp", o.timestamp().toString());
        n.put("level", o.error() ? "WARN" : "INFO");
        n.put("service", service);
        n.put("message", "request " + o.outcome().wire());
        n.put("request_id", o.requestId());
        n.put("key_id", o.keyId());
        n.put("team", o.team());
        n.put("tier", o.tier());
        n.put("model", o.model());
        n.put("status", o.status());
        n.put("outcome", o.outcome().wire());
        n.put("stream", o.stream());
        n.put("latency_ms", o.latencyMs());
        n.put("ttft_ms", o.ttftMs());
        n.put("prompt_tokens", o.tokens().promptTokens());
        n.put("completion_tokens", o.tokens().completionTokens());
        n.put("cached_tokens", o.tokens().cachedTokens());
        n.put("cost_usd", o.cost().plain());
        n.put("cache_hit", o.cacheHit());
        n.put("budget_action", o.budgetAction().wire());
        o.fallbackFrom().ifPresent(f -> n.put("fallback_from", f));
        o.routingScore().ifPresent(s -> n.put("routing_score", s));
        o.content().ifPresent(c -> {
            n.put("prompt", c.prompt());
            n.put("answer", c.answer());
        });
        try {
            sink.accept(json.writeValueAsString(n));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
