package dev.tiergate.core.budget;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Budget definitions, as admins set them. */
public interface BudgetStore {

    Optional<BudgetPolicy> find(ScopeRef owner);

    /**
     * The definitions of several owners, by owner; an owner without one is absent. A store that can should read them in
     * one round trip: a request needs those of its key, user, team and organisation at once.
     */
    default Map<ScopeRef, BudgetPolicy> findAll(List<ScopeRef> owners) {
        Map<ScopeRef, BudgetPolicy> found = new HashMap<>();
        for (ScopeRef o : owners) find(o).ifPresent(p -> found.put(o, p));
        return found;
    }

    void put(BudgetPolicy policy);

    /** Every definition: one per owner that has a budget (a table of a few thousand rows at most). */
    List<BudgetPolicy> all();
}
