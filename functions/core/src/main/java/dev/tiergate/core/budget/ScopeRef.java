package dev.tiergate.core.budget;

import dev.tiergate.core.auth.ApiKey;

import java.util.List;
import java.util.Objects;

/** One budget owner: a scope and its id (a key id, a user name, a team name, the organisation id). */
public record ScopeRef(Scope scope, String id) {
    public ScopeRef {
        Objects.requireNonNull(scope);
        Objects.requireNonNull(id);
    }

    /** Every scope a key's requests count against, most specific first. */
    public static List<ScopeRef> of(ApiKey k) {
        return List.of(new ScopeRef(Scope.KEY, k.id()), new ScopeRef(Scope.USER, k.user()),
                new ScopeRef(Scope.TEAM, k.team()), new ScopeRef(Scope.ORG, k.org()));
    }

    public String key() {
        return scope.wire() + "#" + id;
    }

    @Override
    public String toString() {
        return scope.wire() + " '" + id + "'";
    }
}
