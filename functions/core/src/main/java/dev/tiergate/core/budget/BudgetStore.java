package dev.tiergate.core.budget;

import java.util.Optional;

/** Budget definitions, as admins set them. */
public interface BudgetStore {

    Optional<BudgetPolicy> find(ScopeRef owner);

    void put(BudgetPolicy policy);
}
