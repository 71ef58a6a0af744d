package dev.tiergate.adapters.settlement;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A settlement as one JSON object and back, field by field: the journal must read back exactly what was written
 * (amounts as decimal strings, instants as ISO-8601), whatever the core's records grow later, and a journal left by
 * an earlier version must still replay.
 */
final class SettlementCodec {

    private final ObjectMapper json;

    SettlementCodec(ObjectMapper json) {
        this.json = json;
    }

    /**
     * The journal line that adds a settlement: {@code {"add": settlement}} and a newline. Streamed rather than built as
     * a tree: it is written on the request thread of every request, and the tree (a node per field of a dozen ledger
     * rows) was most of what the journal cost.
     */
    byte[] addLine(Settlement s) {
        ByteArrayBuilder out = new ByteArrayBuilder(1024);
        try (JsonGenerator g = json.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("add");
            write(g, s);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.append('\n');
        return out.toByteArray();
    }

    private void write(JsonGenerator g, Settlement s) throws IOException {
        g.writeStartObject();
        switch (s) {
            case Settlement.Settle x -> {
                g.writeStringField("kind", "settle");
                g.writeFieldName("reservation");
                reservation(g, x.reservation());
            }
            case Settlement.Release x -> {
                g.writeStringField("kind", "release");
                g.writeFieldName("reservation");
                reservation(g, x.reservation());
            }
            case Settlement.RecordOnly x -> g.writeStringField("kind", "record");
        }
        g.writeFieldName("usage");
        usage(g, s.usage());
        g.writeEndObject();
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

    private static void usage(JsonGenerator g, UsageRecord u) throws IOException {
        g.writeStartObject();
        g.writeStringField("request_id", u.requestId());
        g.writeStringField("timestamp", u.timestamp().toString());
        g.writeStringField("key_id", u.keyId());
        g.writeStringField("org", u.org());
        g.writeStringField("team", u.team());
        g.writeStringField("user", u.user());
        g.writeStringField("tier", u.tier());
        g.writeStringField("model", u.model());
        g.writeNumberField("prompt_tokens", u.tokens().promptTokens());
        g.writeNumberField("completion_tokens", u.tokens().completionTokens());
        g.writeNumberField("cached_tokens", u.tokens().cachedTokens());
        g.writeStringField("cost", u.cost().amount().toPlainString());
        g.writeNumberField("latency_ms", u.latencyMs());
        g.writeNumberField("status", u.status());
        g.writeStringField("outcome", u.outcome().wire());
        g.writeBooleanField("stream", u.stream());
        g.writeStringField("usage_source", u.usageSource().wire());
        g.writeStringField("fallback_from", u.fallbackFrom());
        g.writeEndObject();
    }

    private UsageRecord usage(JsonNode o) {
        return new UsageRecord(text(o, "request_id"), Instant.parse(text(o, "timestamp")), text(o, "key_id"), text(o, "org"),
                text(o, "team"), text(o, "user"), text(o, "tier"), text(o, "model"),
                new TokenUsage(req(o, "prompt_tokens").asInt(), req(o, "completion_tokens").asInt(), req(o, "cached_tokens").asInt()),
                Usd.of(text(o, "cost")), req(o, "latency_ms").asLong(), req(o, "status").asInt(),
                dev.tiergate.core.usage.Outcome.fromWire(text(o, "outcome")), req(o, "stream").asBoolean(),
                dev.tiergate.core.usage.UsageSource.fromWire(text(o, "usage_source")), text(o, "fallback_from"));
    }

    private static void reservation(JsonGenerator g, Reservation r) throws IOException {
        g.writeStartObject();
        g.writeStringField("request_id", r.requestId());
        g.writeStringField("amount", r.amount().amount().toPlainString());
        g.writeStringField("deadline", r.deadline().toString());
        if (r.leaseHolder().isPresent()) g.writeStringField("lease_holder", r.leaseHolder().get());
        // A dozen rows share three reset instants (one per period): each is formatted once.
        Map<Instant, String> instants = new HashMap<>(8);
        g.writeArrayFieldStart("rows");
        for (LedgerRow row : r.rows()) {
            g.writeStartObject();
            g.writeStringField("scope", row.owner().scope().name());
            g.writeStringField("id", row.owner().id());
            g.writeStringField("period", row.period().name());
            g.writeStringField("period_key", row.periodKey());
            g.writeStringField("resets_at", instants.computeIfAbsent(row.resetsAt(), Instant::toString));
            if (row.limit().isPresent()) g.writeStringField("limit", row.limit().get().amount().toPlainString());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("rate_rows");
        for (RateRow rr : r.rateRows()) {
            g.writeStartObject();
            g.writeStringField("owner", rr.owner());
            g.writeStringField("minute_key", rr.minuteKey());
            g.writeNumberField("tokens", rr.tokens());
            if (rr.limits().requestsPerMinute().isPresent()) g.writeNumberField("requests_per_minute", rr.limits().requestsPerMinute().get());
            if (rr.limits().tokensPerMinute().isPresent()) g.writeNumberField("tokens_per_minute", rr.limits().tokensPerMinute().get());
            if (rr.limits().maxConcurrent().isPresent()) g.writeNumberField("max_concurrent", rr.limits().maxConcurrent().get());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
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
