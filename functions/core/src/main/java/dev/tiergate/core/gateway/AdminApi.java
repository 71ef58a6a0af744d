package dev.tiergate.core.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.KeyIssuance;
import dev.tiergate.core.auth.KeySecrets;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.ports.AuditLog;
import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.protocol.OpenAiError;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code /admin} routes: creating keys and looking at the fleet. */
public final class AdminApi {

    private static final Set<String> KEY_FIELDS = Set.of("team", "user", "role", "allowed_tiers", "expires_at", "rate_limits");
    private static final Set<String> RATE_FIELDS = Set.of("requests_per_minute", "tokens_per_minute", "max_concurrent");

    private final TiergateConfig config;
    private final KeyStore keys;
    private final KeySecrets secrets;
    private final FleetRegistry fleet;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;
    private final AuditLog audit;
    private final AdminAccess access;
    /** Drops a key (by id) from this instance's authentication cache, so a revocation holds here at once. */
    private final java.util.function.Consumer<String> forget;

    /** Tries of a conditional key write that lost a race before giving up with 409. */
    private static final int MAX_KEY_WRITE_ATTEMPTS = 5;

    public AdminApi(TiergateConfig config, KeyStore keys, KeySecrets secrets, FleetRegistry fleet, Clock clock, ObjectMapper json,
                    AuditLog audit, java.util.function.Consumer<String> forget) {
        this.forget = forget;
        this.audit = audit;
        this.access = new AdminAccess(keys, config.organization());
        this.config = config;
        this.keys = keys;
        this.secrets = secrets;
        this.fleet = fleet;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
    }

    /**
     * {@code POST /admin/keys}: a key within its creator's rights ({@link KeyIssuance} says which). The secret is in
     * this answer only; the store keeps its hash.
     */
    public ApiResponse createKey(ApiKey caller, byte[] body, String requestId) {
        if (caller.role() == Role.USER) throw OpenAiError.forbidden("Only admin keys may create keys.").failure();
        JsonNode req = object(body);
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KEY_FIELDS.contains(f)) throw OpenAiError.invalidRequest("Unknown field '" + f + "'; known: " + KEY_FIELDS + ".", f).failure();
        }
        String team = name(req, "team");
        String user = name(req, "user");
        Role role = Role.USER;
        JsonNode r = req.get("role");
        if (r != null && !r.isNull()) {
            try {
                role = Role.fromWire(r.asText());
            } catch (IllegalArgumentException e) {
                throw OpenAiError.invalidRequest("'role' must be one of user, team_admin, org_admin.", "role").failure();
            }
        }
        Optional<List<String>> tiers = Optional.empty();
        JsonNode at = req.get("allowed_tiers");
        if (at != null && !at.isNull()) {
            if (!at.isArray()) throw OpenAiError.invalidRequest("'allowed_tiers' must be an array of tier names.", "allowed_tiers").failure();
            List<String> allowed = new ArrayList<>();
            for (JsonNode t : at) {
                if (!t.isTextual() || config.tiers().stream().noneMatch(c -> c.name().equals(t.asText()))) {
                    throw OpenAiError.invalidRequest("'allowed_tiers' names unknown tier " + t + ".", "allowed_tiers").failure();
                }
                if (!allowed.contains(t.asText())) allowed.add(t.asText());
            }
            tiers = Optional.of(allowed);
        }
        Optional<Instant> expires = Optional.empty();
        JsonNode ex = req.get("expires_at");
        Instant now = clock.instant();
        if (ex != null && !ex.isNull()) {
            try {
                expires = Optional.of(Instant.parse(ex.asText()));
            } catch (DateTimeParseException e) {
                throw OpenAiError.invalidRequest("'expires_at' must be an ISO-8601 instant such as 2027-01-31T00:00:00Z.", "expires_at").failure();
            }
            if (!expires.get().isAfter(now)) throw OpenAiError.invalidRequest("'expires_at' must be in the future.", "expires_at").failure();
        }
        dev.tiergate.core.budget.RateLimits limits = rateLimits(req.get("rate_limits"));
        KeyIssuance.Grant grant = switch (KeyIssuance.grant(caller, new KeyIssuance.Asked(team, role, tiers, limits, expires))) {
            case KeyIssuance.Granted g -> g.grant();
            case KeyIssuance.Refused refused -> throw new OpenAiError(403, "permission_error", refused.reason(), refused.field(),
                    Optional.of("forbidden")).failure();
        };
        String secret = secrets.newSecret();
        ApiKey key = new ApiKey(secrets.newKeyId(), KeySecrets.hash(secret), config.organization(), team, user, role,
                grant.tiers(), now, grant.expiresAt(), false, grant.limits(), grant.sharedLimits(), 0);
        keys.create(key);
        audit.record(new AuditLog.Entry(now, caller.id(), caller.role().wire(), "key.create", key.id(), Optional.empty(), Optional.of(describe(key))));
        ObjectNode out = describe(key);
        out.put("key", secret);
        return responses.json(201, out, Map.of(Responses.REQUEST_ID, requestId));
    }

    /** {@code GET /admin/keys?team=}: the keys an admin may manage (never their secrets or hashes). */
    public ApiResponse listKeys(ApiKey caller, Optional<String> team, String requestId) {
        Optional<String> scope = switch (caller.role()) {
            case ORG_ADMIN -> team;
            case TEAM_ADMIN -> {
                if (team.isPresent() && !team.get().equals(caller.team())) {
                    throw OpenAiError.forbidden("A team admin may list the keys of team '" + caller.team() + "' only.").failure();
                }
                yield Optional.of(caller.team());
            }
            case USER -> throw OpenAiError.forbidden("Only admin keys may list keys.").failure();
        };
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (ApiKey k : keys.list(scope)) {
            if (k.id().equals(caller.id()) || caller.role() == Role.ORG_ADMIN || k.role() != Role.ORG_ADMIN) {
                ObjectNode d = describe(k);
                d.put("revoked", k.revoked());
                data.add(d);
            }
        }
        return responses.json(200, root, Map.of(Responses.REQUEST_ID, requestId));
    }

    /**
     * {@code DELETE /admin/keys/{id}}: revokes, conditionally on the version read, so that a concurrent rotation cannot
     * slip past it: when the key changed meanwhile, it is read again and revoked as it now is. Revocation wins.
     */
    public ApiResponse revoke(ApiKey caller, String id, String requestId) {
        for (int attempt = 0; attempt < MAX_KEY_WRITE_ATTEMPTS; attempt++) {
            ApiKey k = access.manageableKey(caller, id);
            if (k.revoked()) return revokedAnswer(k, requestId);
            ApiKey revoked = k.asRevoked();
            if (!keys.replace(k, revoked)) continue;
            forget.accept(k.id());
            audit.record(new AuditLog.Entry(clock.instant(), caller.id(), caller.role().wire(), "key.revoke", k.id(),
                    Optional.of(describe(k)), Optional.of(describe(revoked).put("revoked", true))));
            return revokedAnswer(revoked, requestId);
        }
        throw conflict(id);
    }

    private ApiResponse revokedAnswer(ApiKey k, String requestId) {
        ObjectNode out = describe(k);
        out.put("revoked", true);
        return responses.json(200, out, Map.of(Responses.REQUEST_ID, requestId));
    }

    /**
     * {@code POST /admin/keys/{id}/rotate}: a new secret for the same key id; the old secret stops working in the same
     * write. Only a caller that could have created the key may rotate it (the answer holds its secret), and never a
     * key revoked meanwhile.
     */
    public ApiResponse rotate(ApiKey caller, String id, String requestId) {
        ApiKey k = access.manageableKey(caller, id);
        if (k.id().equals(dev.tiergate.core.auth.BootstrapKey.ID)) {
            throw OpenAiError.invalidRequest("The bootstrap admin key is rotated by changing its secret (TIERGATE_ADMIN_KEY, or "
                    + "the secret in Secrets Manager) and restarting; the old one stops working then.", "id").failure();
        }
        if (k.revoked()) throw OpenAiError.invalidRequest("Key '" + id + "' is revoked; create a new one.", "id").failure();
        KeyIssuance.whyNotCovered(caller, k).ifPresent(why -> {
            throw OpenAiError.forbidden("This key may not rotate key '" + id + "': " + why).failure();
        });
        String secret = secrets.newSecret();
        ApiKey rotated = k.withSecretHash(KeySecrets.hash(secret), clock.instant());
        if (!keys.replace(k, rotated)) {
            ApiKey now = keys.findById(id).orElseThrow(() -> OpenAiError.notFound("No key with id '" + id + "'.").failure());
            if (now.revoked()) throw OpenAiError.invalidRequest("Key '" + id + "' was revoked; create a new one.", "id").failure();
            throw conflict(id);
        }
        forget.accept(k.id());
        audit.record(new AuditLog.Entry(clock.instant(), caller.id(), caller.role().wire(), "key.rotate", k.id(),
                Optional.of(describe(k)), Optional.of(describe(rotated))));
        ObjectNode out = describe(rotated);
        out.put("key", secret);
        return responses.json(200, out, Map.of(Responses.REQUEST_ID, requestId));
    }

    private static OpenAiError.Failure conflict(String id) {
        return new OpenAiError(409, "invalid_request_error", "Key '" + id + "' was changed by another request at the same time; "
                + "read it again and retry.", Optional.of("id"), Optional.of("key_changed")).failure();
    }

    /** {@code GET /admin/fleet}: each tier with its endpoint or the replicas serving it. */
    public ApiResponse fleet(ApiKey caller, String requestId) {
        if (caller.role() != Role.ORG_ADMIN) throw OpenAiError.forbidden("Only organisation admins may see the fleet.").failure();
        ObjectNode root = json.createObjectNode();
        ArrayNode tiers = root.putArray("tiers");
        Map<String, List<URI>> all = fleet.all();
        for (TierConfig t : config.tiers()) {
            ObjectNode n = tiers.addObject();
            n.put("name", t.name());
            n.put("model", t.model());
            n.put("source", t.endpoint().isPresent() ? "endpoint" : "fleet");
            t.endpoint().ifPresent(e -> n.put("endpoint", e.toString()));
            t.fleet().ifPresent(f -> n.put("kind", switch (f.kind()) {
                case EC2 -> "ec2";
                case SAGEMAKER -> "sagemaker";
            }));
            List<URI> replicas = all.getOrDefault(t.name(), List.of());
            java.util.Optional<dev.tiergate.core.fleet.SageMakerEndpoint> sageMaker = replicas.stream()
                    .flatMap(u -> dev.tiergate.core.fleet.SageMakerEndpoint.at(u).stream()).findFirst();
            if (sageMaker.isPresent()) {
                // SageMaker balances the endpoint's instances itself: the gateway sees one endpoint, not replicas.
                n.put("sagemaker_endpoint", sageMaker.get().name());
            } else {
                ArrayNode rs = n.putArray("replicas");
                replicas.forEach(u -> rs.add(u.toString()));
            }
        }
        return responses.json(200, root, Map.of(Responses.REQUEST_ID, requestId));
    }

    private static dev.tiergate.core.budget.RateLimits rateLimits(JsonNode n) {
        if (n == null || n.isNull()) return dev.tiergate.core.budget.RateLimits.NONE;
        if (!n.isObject()) throw OpenAiError.invalidRequest("'rate_limits' must be an object.", "rate_limits").failure();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!RATE_FIELDS.contains(f)) throw OpenAiError.invalidRequest("Unknown field 'rate_limits." + f + "'; known: " + RATE_FIELDS + ".", "rate_limits." + f).failure();
        }
        return new dev.tiergate.core.budget.RateLimits(positive(n, "requests_per_minute"), positive(n, "tokens_per_minute"), positive(n, "max_concurrent"));
    }

    private static Optional<Integer> positive(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw OpenAiError.invalidRequest("'rate_limits." + field + "' must be a whole number of at least 1.", "rate_limits." + field).failure();
        }
        return Optional.of(v.asInt());
    }

    private ObjectNode describe(ApiKey k) {
        ObjectNode o = json.createObjectNode();
        o.put("id", k.id());
        o.put("object", "api_key");
        o.put("org", k.org());
        o.put("team", k.team());
        o.put("user", k.user());
        o.put("role", k.role().wire());
        ArrayNode a = o.putArray("allowed_tiers");
        k.allowedTiers().forEach(a::add);
        o.put("created_at", k.createdAt().toString());
        k.expiresAt().ifPresentOrElse(e -> o.put("expires_at", e.toString()), () -> o.putNull("expires_at"));
        ObjectNode rl = o.putObject("rate_limits");
        k.rateLimits().requestsPerMinute().ifPresent(v -> rl.put("requests_per_minute", v));
        k.rateLimits().tokensPerMinute().ifPresent(v -> rl.put("tokens_per_minute", v));
        k.rateLimits().maxConcurrent().ifPresent(v -> rl.put("max_concurrent", v));
        return o;
    }

    private JsonNode object(byte[] body) {
        JsonNode n = dev.tiergate.core.protocol.JsonBody.parse(body).orElse(null);
        if (n == null || !n.isObject()) throw OpenAiError.invalidRequest("The request body must be a JSON object.", null).failure();
        return n;
    }

    private static String name(JsonNode req, String field) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) throw OpenAiError.invalidRequest("Missing required field '" + field + "'.", field).failure();
        if (!v.isTextual() || !Identifiers.NAME.matcher(v.asText()).matches()) {
            throw OpenAiError.invalidRequest("'" + field + "' must be 1 to 64 letters, digits or . _ @ + - (starting with a letter or digit).", field).failure();
        }
        return v.asText();
    }
}
