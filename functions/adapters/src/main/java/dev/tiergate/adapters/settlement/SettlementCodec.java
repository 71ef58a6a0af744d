package dev.tiergate.adapters.settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.RateLimits;
import dev.tiergate.core.budget.RateRow;
import dev.tiergate.core.budget.Reservation;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.budget.Settlement;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.UsageRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A settlement as one JSON object and back, field by field: the journal must read back exactly what was written
 * (amounts as decimal strings, instants as ISO-8601), whatever the core's records grow later.
 */
final class SettlementCodec {

    private final ObjectMapper json;

    SettlementCodec(ObjectMapper json) {
        this.json = json;
    }

    ObjectNode write(Settlement s) {
        ObjectNode o = json.createObjectNode();
        switch (s) {
            case Settlement.Settle x -> o.put("kind", "settle").set("reservation", reservation(x.reservation()));
            case Settlement.Release x -> o.put("kind", "release").set("reservation", reservation(x.reservation()));
            case Settlement.RecordOnly x -> o.put("kind", "record");
        }
        o.set("usage", usage(s.usage()));
        return o;
    }

    Settlement read(JsonNode o) {
        UsageRecord usage = usage(req(o, "usage"));
        return switch (req(o, "kind").asText()) {
            case "settle" -> new Settlement.Settle(reservation(req(o, "reservation")), usage);
            case "release" -> new Settlement.Release(reservation(req(o, "reservation")), usage);
            case "record" -> new Settlement.RecordOnly(usage);
            default -> throw new IllegalArgumentException("unknown settlement kind '" + o.get("kind").asText() + "'");
        };
    }

    private ObjectNode usage(UsageRecord u) {
        ObjectNode o = json.createObjectNode();
        o.put("request_id", u.requestId()).put("timestamp", u.timestamp().toString()).put("key_id", u.keyId())
                .put("org", u.org()).put("team", u.team()).put("user", u.user()).put("tier", u.tier()).put("model", u.model())
                .put("prompt_tokens", u.tokens().promptTokens()).put("completion_tokens", u.tokens().completionTokens())
                .put("cached_tokens", u.tokens().cachedTokens()).put("cost", u.cost().amount().toPlainString())
                .put("latency_ms", u.latencyMs()).put("status", u.status()).put("outcome", u.outcome().wire())
                .put("stream", u.stream()).put("usage_source", u.usageSource().wire()).put("fallback_from", u.fallbackFrom());
        return o;
    }

    private UsageRecord usage(JsonNode o) {
        return new UsageRecord(text(o, "request_id"), Instant.parse(text(o, "timestamp")), text(o, "key_id"), text(o, "org"),
                text(o, "team"), text(o, "user"), text(o, "tier"), text(o, "model"),
                new TokenUsage(req(o, "prompt_tokens").asInt(), req(o, "completion_tokens").asInt(), req(o, "cached_tokens").asInt()),
                Usd.of(text(o, "cost")), req(o, "latency_ms").asLong(), req(o, "status").asInt(),
                dev.tiergate.core.usage.Outcome.fromWire(text(o, "outcome")), req(o, "stream").asBoolean(),
                dev.tiergate.core.usage.UsageSource.fromWire(text(o, "usage_source")), text(o, "fallback_from"));
    }

    private ObjectNode reservation(Reservation r) {
        ObjectNode o = json.createObjectNode();
        o.put("request_id", r.requestId()).put("amount", r.amount().amount().toPlainString()).put("deadline", r.deadline().toString());
        r.leaseHolder().ifPresent(h -> o.put("lease_holder", h));
        ArrayNode rows = o.putArray("rows");
        for (LedgerRow row : r.rows()) {
            ObjectNode n = rows.addObject();
            n.put("scope", row.owner().scope().name()).put("id", row.owner().id()).put("period", row.period().name())
                    .put("period_key", row.periodKey()).put("resets_at", row.resetsAt().toString());
            row.limit().ifPresent(l -> n.put("limit", l.amount().toPlainString()));
        }
        ArrayNode rates = o.putArray("rate_rows");
        for (RateRow rr : r.rateRows()) {
            ObjectNode n = rates.addObject();
            n.put("owner", rr.owner()).put("minute_key", rr.minuteKey()).put("tokens", rr.tokens());
            rr.limits().requestsPerMinute().ifPresent(v -> n.put("requests_per_minute", v));
            rr.limits().tokensPerMinute().ifPresent(v -> n.put("tokens_per_minute", v));
            rr.limits().maxConcurrent().ifPresent(v -> n.put("max_concurrent", v));
        }
        return o;
    }

    private Reservation reservation(JsonNode o) {
        List<LedgerRow> rows = new ArrayList<>();
        for (JsonNode n : req(o, "rows")) {
            rows.add(new LedgerRow(new ScopeRef(Scope.valueOf(text(n, "scope")), text(n, "id")), Period.valueOf(text(n, "period")),
                    text(n, "period_key"), n.has("limit") ? Optional.of(Usd.of(text(n, "limit"))) : Optional.empty(),
                    Instant.parse(text(n, "resets_at"))));
        }
        List<RateRow> rates = new ArrayList<>();
        for (JsonNode n : req(o, "rate_rows")) {
            rates.add(new RateRow(text(n, "owner"), text(n, "minute_key"), new RateLimits(optInt(n, "requests_per_minute"),
                    optInt(n, "tokens_per_minute"), optInt(n, "max_concurrent")), req(n, "tokens").asInt()));
        }
        return new Reservation(text(o, "request_id"), Usd.of(text(o, "amount")), rows, Instant.parse(text(o, "deadline")), rates,
                Optional.empty(), o.hasNonNull("lease_holder") ? Optional.of(o.get("lease_holder").asText()) : Optional.empty());
    }

    private static Optional<Integer> optInt(JsonNode o, String field) {
        return o.has(field) ? Optional.of(o.get(field).asInt()) : Optional.empty();
    }

    private static String text(JsonNode o, String field) {
        return req(o, field).asText();
    }

    private static JsonNode req(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("settlement field '" + field + "' is missing");
        return v;
    }
}
