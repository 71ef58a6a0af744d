package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.gateway.Responses;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code x-tiergate-*} headers that tell a client how its request was routed and who answered. */
final class AnswerHeaders {

    private AnswerHeaders() {
    }

    static Map<String, String> of(ChatContext ctx, Served served) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(Responses.REQUEST_ID, ctx.requestId());
        h.put(Responses.TIER, served.tier().name());
        ctx.route().classification().ifPresent(c -> {
            h.put(Responses.COMPLEXITY, c.complexity().wire());
            h.put(Responses.COMPLEXITY_SCORE, Double.toString(c.score()));
            h.put(Responses.SCORER, c.scorer().wire());
        });
        ctx.route().shadowOf().ifPresent(t -> h.put(Responses.SHADOW_TIER, t.name()));
        ctx.downgradedFrom().ifPresent(t -> h.put(Responses.DOWNGRADED_FROM, t));
        served.fallbackFrom().ifPresent(t -> h.put(Responses.FALLBACK_FROM, t));
        if (!served.model().equals(served.tier().model())) h.put(Responses.MODEL, served.model());
        return h;
    }

    static Map<String, String> stream(ChatContext ctx, Served served) {
        Map<String, String> h = of(ctx, served);
        h.put("content-type", "text/event-stream; charset=utf-8");
        h.put("cache-control", "no-cache");
        return h;
    }
}
