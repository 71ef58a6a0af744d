package dev.tiergate.core.gateway;

import dev.tiergate.core.gateway.chat.ChatCompletions;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Authenticator;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.protocol.OpenAiError;

import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The gateway's HTTP API, independent of the runtime that carries it: the same paths whether the request came from
 * API Gateway through Lambda or from the local server. Every answer carries a request id; every error is in the
 * OpenAI shape.
 */
public final class GatewayApi {

    private static final System.Logger LOG = System.getLogger(GatewayApi.class.getName());

    private final ChatCompletions chat;
    private final ModelCatalog models;
    private final AdminApi admin;
    private final RouteApi route;
    private final BudgetAdminApi budgets;
    private final UsageReportApi usage;
    private final ReportApi reports;
    private final MetricsPage metrics;

    /** The gateway's metrics in Prometheus text format, and its content type. */
    public interface MetricsPage {
        String contentType();

        String text();
    }
    private final Authenticator auth;
    /** Spend reads wait for the settlements written behind earlier answers, so a caller reads its own requests. */
    private final dev.tiergate.core.ports.SettlementQueue settlements;
    private final GatewaySettings settings;
    private final Responses responses;
    private final boolean usageRecorded;
    private final ObjectMapper json;
    private final Liveness liveness;

    public GatewayApi(ChatCompletions chat, ModelCatalog models, AdminApi admin, RouteApi route, BudgetAdminApi budgets,
                      UsageReportApi usage, ReportApi reports, MetricsPage metrics, Authenticator auth,
                      GatewaySettings settings, ObjectMapper json, dev.tiergate.core.ports.SettlementQueue settlements,
                      boolean usageRecorded, Liveness liveness) {
        this.liveness = liveness;
        this.settlements = settlements;
        this.usageRecorded = usageRecorded;
        this.reports = reports;
        this.metrics = metrics;
        this.budgets = budgets;
        this.usage = usage;
        this.chat = chat;
        this.route = route;
        this.models = models;
        this.admin = admin;
        this.auth = auth;
        this.settings = settings;
        this.responses = new Responses(json);
        this.json = json;
    }

    public int maxBodyBytes() {
        return settings.maxBodyBytes();
    }

    public ApiResponse handle(ApiRequest request) {
        String requestId = newRequestId();
        try {
            if (request.body().length > settings.maxBodyBytes()) throw OpenAiError.tooLarge(settings.maxBodyBytes()).failure();
            return route(request, requestId);
        } catch (OpenAiError.Failure f) {
            return responses.error(f.error(), requestId);
        } catch (dev.tiergate.core.routing.Unroutable u) {
            return responses.error(Refusals.of(u.reason()), requestId);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "request " + requestId + " failed", e);
            return responses.error(OpenAiError.internal("tiergate failed to handle the request (request id "
                    + requestId + ")."), requestId);
        }
    }

    private ApiResponse route(ApiRequest r, String id) {
        String path = r.path().length() > 1 && r.path().endsWith("/") ? r.path().substring(0, r.path().length() - 1) : r.path();
        return switch (path) {
            case "/v1/chat/completions" -> {
                only(r, "POST", path);
                requireJson(r);
                yield chat.handle(r, id);
            }
            case "/v1/completions" -> {
                only(r, "POST", path);
                requireJson(r);
                yield chat.handle(dev.tiergate.core.protocol.Endpoint.COMPLETIONS, r, id);
            }
            case "/v1/embeddings" -> {
                only(r, "POST", path);
                requireJson(r);
                yield chat.handle(dev.tiergate.core.protocol.Endpoint.EMBEDDINGS, r, id);
            }
            case "/v1/models" -> {
                only(r, "GET", path);
                yield models.list(auth.authenticate(r.header("Authorization")), id);
            }
            case "/route" -> {
                only(r, "POST", path);
                requireJson(r);
                yield route.route(auth.authenticate(r.header("Authorization")), r, id);
            }
            case "/health" -> {
                only(r, "GET", path);
                yield switch (liveness.check()) {
                    // Up either way: until the routing model is loaded, prompts are routed by the heuristics alone, and say so.
                    case Liveness.Status.Up up -> responses.json(200, json.createObjectNode().put("status", "ok")
                            .put("routing_model", route.modelState().wire()), Map.of(Responses.REQUEST_ID, id));
                    case Liveness.Status.Down down -> responses.json(503, json.createObjectNode().put("status", "unavailable")
                            .put("reason", down.reason()), Map.of(Responses.REQUEST_ID, id));
                };
            }
            case "/admin/keys" -> switch (r.method()) {
                case "POST" -> {
                    requireJson(r);
                    yield admin.createKey(auth.authenticateAdmin(r.header("Authorization")), r.body(), id);
                }
                case "GET" -> admin.listKeys(auth.authenticateAdmin(r.header("Authorization")), java.util.Optional.ofNullable(r.query().get("team")), id);
                default -> throw OpenAiError.methodNotAllowed(r.method(), path).failure();
            };
            case "/admin/usage" -> {
                only(r, "GET", path);
                ApiKey caller = auth.authenticateAdmin(r.header("Authorization"));
                if (!usageRecorded) throw OpenAiError.usageRecordsOff().failure();
                settlements.awaitWritten();
                yield usage.report(caller, r.query(), id);
            }
            case "/admin/reports/daily" -> {
                only(r, "POST", path);
                requireJson(r);
                ApiKey caller = auth.authenticateAdmin(r.header("Authorization"));
                if (!usageRecorded) throw OpenAiError.usageRecordsOff().failure();
                settlements.awaitWritten();
                yield reports.daily(caller, r.body(), id);
            }
            case "/metrics" -> {
                only(r, "GET", path);
                // Every team's spend is in these series, so only an organisation admin key may read them.
                if (auth.authenticateAdmin(r.header("Authorization")).role() != dev.tiergate.core.auth.Role.ORG_ADMIN) {
                    throw OpenAiError.forbidden("Only organisation admin keys may read /metrics.").failure();
                }
                yield responses.raw(200, metrics.text().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Map.of(Responses.REQUEST_ID, id, "content-type", metrics.contentType()));
            }
            case "/admin/fleet" -> {
                only(r, "GET", path);
                yield admin.fleet(auth.authenticateAdmin(r.header("Authorization")), id);
            }
            default -> parameterised(r, path, id);
        };
    }

    /**
     * Routes with ids in the path: {@code /admin/keys/{id}}, {@code /admin/keys/{id}/rotate}, {@code /admin/budgets/{scope}/{id}}.
     * Each segment is decoded once and checked by the rules its ids were made by; the caller is authenticated before
     * anything else is looked at or waited for.
     */
    private ApiResponse parameterised(ApiRequest r, String path, String id) {
        String[] p = path.substring(1).split("/", -1);
        if (p.length == 3 && p[0].equals("admin") && p[1].equals("keys")) {
            only(r, "DELETE", path);
            ApiKey caller = auth.authenticateAdmin(r.header("Authorization"));
            return admin.revoke(caller, Identifiers.keyId(Identifiers.segment(p[2])), id);
        }
        if (p.length == 4 && p[0].equals("admin") && p[1].equals("keys") && p[3].equals("rotate")) {
            only(r, "POST", path);
            ApiKey caller = auth.authenticateAdmin(r.header("Authorization"));
            return admin.rotate(caller, Identifiers.keyId(Identifiers.segment(p[2])), id);
        }
        if (p.length == 4 && p[0].equals("admin") && p[1].equals("budgets")) {
            if (!r.method().equals("PUT") && !r.method().equals("GET")) throw OpenAiError.methodNotAllowed(r.method(), path).failure();
            ApiKey caller = auth.authenticateAdmin(r.header("Authorization"));
            String scope = Identifiers.segment(p[2]);
            String owner = Identifiers.segment(p[3]);
            if (scope.equals("key")) Identifiers.keyId(owner);
            else if (dev.tiergate.core.budget.Scope.fromWire(scope).isPresent()) Identifiers.name(owner, scope);
            if (r.method().equals("PUT")) {
                requireJson(r);
                return budgets.put(caller, scope, owner, r.body(), id);
            }
            settlements.awaitWritten();
            return budgets.get(caller, scope, owner, id);
        }
        throw OpenAiError.notFound("No route for " + r.method() + " " + Identifiers.printable(r.path()) + ".").failure();
    }

    private static void only(ApiRequest r, String method, String path) {
        if (!r.method().equals(method)) throw OpenAiError.methodNotAllowed(r.method(), path).failure();
    }

    /**
     * A body sent as something other than JSON is refused; no Content-Type at all is read as JSON. The media type is
     * compared whole ({@code application/jsonx} is not JSON), parameters such as {@code charset} aside.
     */
    private static void requireJson(ApiRequest r) {
        r.header("Content-Type").ifPresent(ct -> {
            int semi = ct.indexOf(';');
            String type = (semi < 0 ? ct : ct.substring(0, semi)).strip();
            if (!type.equalsIgnoreCase("application/json")) throw OpenAiError.unsupportedMediaType().failure();
        });
    }

    private static String newRequestId() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return "req_" + HexFormat.of().formatHex(b);
    }
}
