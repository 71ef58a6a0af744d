package dev.tiergate.core.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.usage.UsageRecord;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code GET /admin/usage?scope=&id=&from=&to=&group_by=}: spend and tokens from the usage records, exact to the last
 * digit, so the totals match the ledger. Days are UTC days of the records' timestamps.
 */
public final class UsageReportApi {

    private static final Set<String> GROUPS = Set.of("tier", "model", "user", "day", "key", "team");
    private static final Duration MAX_RANGE = Duration.ofDays(93);

    private final UsageLog usage;
    private final KeyStore keys;
    private final AdminAccess access;
    private final String org;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;

    public UsageReportApi(UsageLog usage, KeyStore keys, String org, Clock clock, ObjectMapper json) {
        this.usage = usage;
        this.keys = keys;
        this.access = new AdminAccess(keys, org);
        this.org = org;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
    }

    public ApiResponse report(ApiKey caller, Map<String, String> q, String requestId) {
        ScopeRef owner;
        if (q.containsKey("scope") || q.containsKey("id")) {
            if (!q.containsKey("scope") || !q.containsKey("id")) throw OpenAiError.invalidRequest("Give both 'scope' and 'id'.", q.containsKey("scope") ? "id" : "scope").failure();
            owner = BudgetAdminApi.owner(q.get("scope"), q.get("id"));
        } else {
            owner = switch (caller.role()) {
                case ORG_ADMIN -> new ScopeRef(Scope.ORG, org);
                case TEAM_ADMIN -> new ScopeRef(Scope.TEAM, caller.team());
                case USER -> new ScopeRef(Scope.KEY, caller.id());
            };
        }
        Optional<String> confinedTo = access.readUsage(caller, owner);
        Instant now = clock.instant();
        Instant from = instant(q, "from", now.atOffset(ZoneOffset.UTC).toLocalDate().atStartOfDay().toInstant(ZoneOffset.UTC));
        Instant to = instant(q, "to", now);
        if (!to.isAfter(from)) throw OpenAiError.invalidRequest("'to' must be after 'from'.", "to").failure();
        if (Duration.between(from, to).compareTo(MAX_RANGE) > 0) throw OpenAiError.invalidRequest("The range may span at most 93 days.", "from").failure();
        String groupBy = q.get("group_by");
        if (groupBy != null && !GROUPS.contains(groupBy)) throw OpenAiError.invalidRequest("'group_by' must be one of " + GROUPS + ".", "group_by").failure();

        List<UsageRecord> records = records(owner, from, to, confinedTo);
        ObjectNode o = json.createObjectNode();
        o.put("scope", owner.scope().wire());
        o.put("id", owner.id());
        o.put("from", from.toString());
        o.put("to", to.toString());
        totals(o, records);
        if (groupBy != null) {
            Function<UsageRecord, String> key = switch (groupBy) {
                case "tier" -> UsageRecord::tier;
                case "model" -> UsageRecord::model;
                case "user" -> UsageRecord::user;
                case "key" -> UsageRecord::keyId;
                case "team" -> UsageRecord::team;
                default -> r -> r.timestamp().atOffset(ZoneOffset.UTC).toLocalDate().toString();
            };
            Map<String, List<UsageRecord>> groups = new LinkedHashMap<>();
            for (UsageRecord r : records) groups.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
            ArrayNode arr = o.putArray("groups");
            groups.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                ObjectNode g = arr.addObject();
                g.put("group", e.getKey());
                totals(g, e.getValue());
            });
        }
        return responses.json(200, o, Map.of(Responses.REQUEST_ID, requestId));
    }

    private List<UsageRecord> records(ScopeRef owner, Instant from, Instant to, Optional<String> confinedTo) {
        List<UsageRecord> out = new ArrayList<>();
        LocalDate first = from.atOffset(ZoneOffset.UTC).toLocalDate();
        LocalDate last = to.atOffset(ZoneOffset.UTC).toLocalDate();
        Optional<ApiKey> key = owner.scope() == Scope.KEY ? keys.findById(owner.id()) : Optional.empty();
        for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
            List<UsageRecord> day = switch (owner.scope()) {
                case TEAM -> usage.forTeamDay(owner.id(), d);
                case KEY -> usage.forTeamDay(key.orElseThrow().team(), d);
                case USER, ORG -> usage.forOrgDay(org, d);
            };
            for (UsageRecord r : day) {
                if (r.timestamp().isBefore(from) || !r.timestamp().isBefore(to)) continue;
                if (owner.scope() == Scope.KEY && !r.keyId().equals(owner.id())) continue;
                if (owner.scope() == Scope.USER && !r.user().equals(owner.id())) continue;
                if (confinedTo.isPresent() && !r.team().equals(confinedTo.get())) continue;
                out.add(r);
            }
        }
        out.sort(Comparator.comparing(UsageRecord::timestamp));
        return out;
    }

    private static void totals(ObjectNode o, List<UsageRecord> records) {
        BigDecimal total = BigDecimal.ZERO;
        long prompt = 0, completion = 0, cached = 0;
        for (UsageRecord r : records) {
            total = total.add(r.cost().amount());
            prompt += r.tokens().promptTokens();
            completion += r.tokens().completionTokens();
            cached += r.tokens().cachedTokens();
        }
        o.put("total_usd", total.stripTrailingZeros().signum() == 0 ? BigDecimal.ZERO : total.stripTrailingZeros());
        o.put("requests", records.size());
        o.put("prompt_tokens", prompt);
        o.put("completion_tokens", completion);
        o.put("cached_tokens", cached);
    }

    private static Instant instant(Map<String, String> q, String field, Instant fallback) {
        String v = q.get(field);
        if (v == null || v.isBlank()) return fallback;
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw OpenAiError.invalidRequest("'" + field + "' must be an ISO-8601 instant such as 2026-11-01T00:00:00Z.", field).failure();
        }
    }

}
