package dev.tiergate.core.gateway;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.protocol.OpenAiError;

import java.util.Optional;

/**
 * Who may see or change what: an organisation admin everything; a team admin its own team, its team's keys and
 * its team's users' usage; a plain key only its own usage. One team never sees another's data.
 */
final class AdminAccess {

    private final KeyStore keys;
    private final String org;

    AdminAccess(KeyStore keys, String org) {
        this.keys = keys;
        this.org = org;
    }

    /** The key with this id, if the caller may manage it; 404 when unknown (or in another team: no existence leak). */
    ApiKey manageableKey(ApiKey caller, String id) {
        if (caller.role() == Role.USER) throw OpenAiError.forbidden("Only admin keys may manage keys.").failure();
        ApiKey k = keys.findById(id).orElseThrow(() -> OpenAiError.notFound("No key with id '" + id + "'.").failure());
        if (caller.role() == Role.TEAM_ADMIN && !caller.team().equals(k.team())) {
            throw OpenAiError.notFound("No key with id '" + id + "'.").failure();
        }
        if (caller.role() == Role.TEAM_ADMIN && k.role() == Role.ORG_ADMIN) {
            throw OpenAiError.forbidden("A team admin may not manage organisation admin keys.").failure();
        }
        return k;
    }

    /** Checks that the scope exists and that the caller may manage its budget. */
    void manageBudget(ApiKey caller, ScopeRef owner) {
        exists(owner);
        switch (caller.role()) {
            case ORG_ADMIN -> { }
            case TEAM_ADMIN -> {
                boolean own = switch (owner.scope()) {
                    case TEAM -> owner.id().equals(caller.team());
                    case KEY -> keys.findById(owner.id()).map(k -> k.team().equals(caller.team())).orElse(false);
                    default -> false;
                };
                if (!own) throw OpenAiError.forbidden("A team admin may manage the budgets of its team '" + caller.team()
                        + "' and its team's keys only.").failure();
            }
            case USER -> throw OpenAiError.forbidden("Only admin keys may manage budgets.").failure();
        }
    }

    /**
     * The team the caller's usage query is confined to (empty: the whole organisation), after checking the caller
     * may read the scope at all.
     */
    Optional<String> readUsage(ApiKey caller, ScopeRef owner) {
        exists(owner);
        return switch (caller.role()) {
            case ORG_ADMIN -> Optional.empty();
            case TEAM_ADMIN -> {
                boolean ok = switch (owner.scope()) {
                    case TEAM -> owner.id().equals(caller.team());
                    case KEY -> keys.findById(owner.id()).map(k -> k.team().equals(caller.team())).orElse(false);
                    case USER -> true;
                    case ORG -> false;
                };
                if (!ok) throw OpenAiError.forbidden("A team admin may read the usage of its team '" + caller.team() + "' only.").failure();
                yield Optional.of(caller.team());
            }
            case USER -> {
                if (owner.scope() != Scope.KEY || !owner.id().equals(caller.id())) {
                    throw OpenAiError.forbidden("A key may read only its own usage (scope=key&id=" + caller.id() + ").").failure();
                }
                yield Optional.of(caller.team());
            }
        };
    }

    private void exists(ScopeRef owner) {
        switch (owner.scope()) {
            case KEY -> keys.findById(owner.id()).orElseThrow(() -> OpenAiError.notFound("No key with id '" + owner.id() + "'.").failure());
            case ORG -> {
                if (!owner.id().equals(org)) throw OpenAiError.notFound("No organisation '" + owner.id() + "'; this deployment's is '" + org + "'.").failure();
            }
            default -> { }
        }
    }
}
