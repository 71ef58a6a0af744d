package dev.tiergate.core.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.budget.BudgetGuard;
import dev.tiergate.core.budget.BudgetLedger;
import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.BudgetStore;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.PeriodState;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.AuditLog;
import dev.tiergate.core.protocol.OpenAiError;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code PUT} and {@code GET /admin/budgets/{scope}/{id}}: a scope's limits, action and warning, and where it stands. */
public final class BudgetAdminApi {

    private static final Set<String> FIELDS = Set.of("limits_usd", "action", "warn_at");

    private final BudgetStore store;
    private final BudgetLedger ledger;
    private final BudgetGuard guard;
    private final AdminAccess access;
    private final AuditLog audit;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;
    private final double defaultWarnAt;
    private final dev.tiergate.core.budget.UsageSpend usageSpend;

    public BudgetAdminApi(BudgetStore store, BudgetLedger ledger, BudgetGuard guard, dev.tiergate.core.ports.KeyStore keys, String org,
                          AuditLog audit, Clock clock, ObjectMapper json, double defaultWarnAt, dev.tiergate.core.ports.UsageLog usage) {
        this.usageSpend = new dev.tiergate.core.budget.UsageSpend(usage, keys, org);
        this.store = store;
        this.ledger = ledger;
        this.guard = guard;
        this.access = new AdminAccess(keys, org);
        this.audit = audit;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
        this.defaultWarnAt = defaultWarnAt;
    }

    static ScopeRef owner(String scope, String id) {
        Scope s = Scope.fromWire(scope).orElseThrow(() -> OpenAiError.invalidRequest("Scope '" + scope
                + "' is not one of key, user, team, org.", "scope").failure());
        if (id.isBlank() || id.length() > 128) throw OpenAiError.invalidRequest("The scope id must be 1 to 128 characters.", "id").failure();
        return new ScopeRef(s, id);
    }

    public ApiResponse put(ApiKey caller, String scope, String id, byte[] body, String requestId) {
        ScopeRef owner = owner(scope, id);
        access.manageBudget(caller, owner);
        JsonNode req = dev.tiergate.core.protocol.JsonBody.parse(body).orElse(null);
        if (req == null || !req.isObject()) throw OpenAiError.invalidRequest("The request body must be a JSON object.", null).failure();
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw OpenAiError.invalidRequest("Unknown field '" + f + "'; known: " + FIELDS + ".", f).failure();
        }
        Map<Period, Usd> limits = new EnumMap<>(Period.class);
        JsonNode l = req.get("limits_usd");
        if (l == null || !l.isObject()) throw OpenAiError.invalidRequest("'limits_usd' must be an object such as {\"day\": 100}.", "limits_usd").failure();
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "limits_usd." + e.getKey();
            Period p = Period.fromWire(e.getKey()).orElseThrow(() -> OpenAiError.invalidRequest("'" + field
                    + "': the periods are request, hour, day and month.", field).failure());
            if (e.getValue().isNull()) continue;
            if (!e.getValue().isNumber()) throw OpenAiError.invalidRequest("'" + field + "' must be a number of US dollars.", field).failure();
            BigDecimal v = e.getValue().decimalValue();
            if (v.signum() <= 0) throw OpenAiError.invalidRequest("'" + field + "' must be more than 0.", field).failure();
            if (v.stripTrailingZeros().scale() > 6) throw OpenAiError.invalidRequest("'" + field + "' has at most 6 decimal places.", field).failure();
            if (v.compareTo(BigDecimal.valueOf(1_000_000_000)) > 0) throw OpenAiError.invalidRequest("'" + field + "' is unreasonably large.", field).failure();
            limits.put(p, new Usd(v));
        }
        BudgetPolicy.Action action = BudgetPolicy.Action.REJECT;
        JsonNode a = req.get("action");
        if (a != null && !a.isNull()) {
            action = switch (a.asText()) {
                case "reject" -> BudgetPolicy.Action.REJECT;
                case "downgrade" -> BudgetPolicy.Action.DOWNGRADE;
                default -> throw OpenAiError.invalidRequest("'action' must be reject or downgrade.", "action").failure();
            };
        }
        double warnAt = defaultWarnAt;
        JsonNode w = req.get("warn_at");
        if (w != null && !w.isNull()) {
            if (!w.isNumber() || w.asDouble() <= 0 || w.asDouble() > 1) throw OpenAiError.invalidRequest("'warn_at' must be a number above 0 and at most 1.", "warn_at").failure();
            warnAt = w.asDouble();
        }
        Optional<BudgetPolicy> before = store.find(owner);
        if (caller.role() == dev.tiergate.core.auth.Role.TEAM_ADMIN && owner.scope() == dev.tiergate.core.budget.Scope.TEAM) {
            tightensOnly(before, limits);
        }
        BudgetPolicy policy = new BudgetPolicy(owner, limits, action, warnAt);
        store.put(policy);
        guard.invalidate(owner);
        // Only limited rows are kept: a limit new in this period starts from what the usage records show so far.
        Instant at = clock.instant();
        List<Period> limited = List.of(Period.HOUR, Period.DAY, Period.MONTH).stream().filter(p -> policy.limit(p).isPresent()).toList();
        Map<Period, Usd> sofar = usageSpend.spent(owner, limited, at, guard.calendar());
        for (Period p : limited) {
            ledger.seed(new dev.tiergate.core.budget.LedgerRow(owner, p, guard.calendar().periodKey(p, at), policy.limit(p),
                    guard.calendar().resetsAt(p, at)), sofar.get(p));
        }
        audit.record(new AuditLog.Entry(clock.instant(), caller.id(), caller.role().wire(), "budget.put", owner.key(),
                before.map(this::policyJson), Optional.of(policyJson(policy))));
        return responses.json(200, describe(owner, Optional.of(policy)), Map.of(Responses.REQUEST_ID, requestId));
    }

    /**
     * A team's budget is the envelope the organisation gives it: its own admin may tighten it (lower a limit, add one)
     * but not loosen it, or a team admin key could grant its team more than its creator allowed.
     */
    private static void tightensOnly(Optional<BudgetPolicy> before, Map<Period, Usd> limits) {
        if (before.isEmpty()) return;
        for (Map.Entry<Period, Usd> e : before.get().limits().entrySet()) {
            Usd now = limits.get(e.getKey());
            String field = "limits_usd." + e.getKey().wire();
            if (now == null) {
                throw OpenAiError.forbidden("A team admin may not remove its team's " + e.getKey().wire() + " limit ("
                        + e.getValue().amount().toPlainString() + " USD); only an organisation admin may.").failure();
            }
            if (now.compareTo(e.getValue()) > 0) {
                throw OpenAiError.forbidden("'" + field + "': a team admin may lower its team's limit, not raise it above "
                        + e.getValue().amount().toPlainString() + " USD; only an organisation admin may.").failure();
            }
        }
    }

    public ApiResponse get(ApiKey caller, String scope, String id, String requestId) {
        ScopeRef owner = owner(scope, id);
        access.manageBudget(caller, owner);
        return responses.json(200, describe(owner, store.find(owner)), Map.of(Responses.REQUEST_ID, requestId));
    }

    private ObjectNode describe(ScopeRef owner, Optional<BudgetPolicy> policy) {
        ObjectNode o = json.createObjectNode();
        o.put("scope", owner.scope().wire());
        o.put("id", owner.id());
        ObjectNode limits = o.putObject("limits_usd");
        policy.ifPresent(p -> p.limits().forEach((period, usd) -> limits.put(period.wire(), usd.amount().stripTrailingZeros())));
        o.put("action", policy.map(p -> p.action().wire()).orElse("reject"));
        o.put("warn_at", policy.map(BudgetPolicy::warnAt).orElse(defaultWarnAt));
        ObjectNode periods = o.putObject("periods");
        Instant now = clock.instant();
        List<PeriodState> states = ledger.state(owner, now, guard.calendar(), policy);
        // A period without a limit has no ledger row: its spend is the usage records', all such periods in one read.
        Map<Period, Usd> unlimited = usageSpend.spent(owner,
                states.stream().filter(s -> s.limit().isEmpty()).map(PeriodState::period).toList(), now, guard.calendar());
        for (PeriodState s : states) {
            ObjectNode p = periods.putObject(s.period().wire());
            p.put("period", s.periodKey().substring(s.periodKey().indexOf('#') + 1));
            Usd spent = s.limit().isPresent() ? s.spent() : unlimited.get(s.period());
            p.put("spent_usd", spent.amount().stripTrailingZeros());
            p.put("reserved_usd", s.reserved().amount().stripTrailingZeros());
            p.put("leased_usd", s.leased().amount().stripTrailingZeros());
            s.limit().ifPresentOrElse(v -> p.put("limit_usd", v.amount().stripTrailingZeros()), () -> p.putNull("limit_usd"));
            p.put("resets_at", s.resetsAt().toString());
        }
        return o;
    }

    private JsonNode policyJson(BudgetPolicy p) {
        ObjectNode o = json.createObjectNode();
        ObjectNode l = o.putObject("limits_usd");
        p.limits().forEach((k, v) -> l.put(k.wire(), v.amount().stripTrailingZeros()));
        o.put("action", p.action().wire());
        o.put("warn_at", p.warnAt());
        return o;
    }
}
