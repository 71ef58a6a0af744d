package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.budget.BudgetPolicy;
import dev.tiergate.core.budget.Period;
import dev.tiergate.core.budget.Scope;
import dev.tiergate.core.budget.ScopeRef;
import dev.tiergate.core.money.Usd;
import software.amazon.awssdk.enhanced.dynamodb.EnhancedType;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.StaticImmutableTableSchema;

import java.math.BigDecimal;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.primaryPartitionKey;

/** A row of the budgets table: one scope's limits per period, its action and its warning threshold. */
record BudgetItem(String owner, Map<String, BigDecimal> limits, String action, Double warnAt, String updatedAt) {

    static final TableSchema<BudgetItem> SCHEMA = StaticImmutableTableSchema.builder(BudgetItem.class, Builder.class)
            .newItemBuilder(Builder::new, Builder::build)
            .addAttribute(String.class, a -> a.name("owner").getter(BudgetItem::owner).setter(Builder::owner).tags(primaryPartitionKey()))
            .addAttribute(EnhancedType.mapOf(String.class, BigDecimal.class), a -> a.name("limits_usd").getter(BudgetItem::limits).setter(Builder::limits))
            .addAttribute(String.class, a -> a.name("action").getter(BudgetItem::action).setter(Builder::action))
            .addAttribute(Double.class, a -> a.name("warn_at").getter(BudgetItem::warnAt).setter(Builder::warnAt))
            .addAttribute(String.class, a -> a.name("updated_at").getter(BudgetItem::updatedAt).setter(Builder::updatedAt))
            .build();

    static BudgetItem from(BudgetPolicy p, String updatedAt) {
        Map<String, BigDecimal> limits = new LinkedHashMap<>();
        p.limits().forEach((period, usd) -> limits.put(period.wire(), usd.amount().stripTrailingZeros()));
        return new BudgetItem(p.owner().key(), limits, p.action().wire(), p.warnAt(), updatedAt);
    }

    BudgetPolicy toPolicy() {
        int hash = owner.indexOf('#');
        ScopeRef ref = new ScopeRef(Scope.fromWire(owner.substring(0, hash)).orElseThrow(), owner.substring(hash + 1));
        Map<Period, Usd> l = new EnumMap<>(Period.class);
        if (limits != null) limits.forEach((k, v) -> Period.fromWire(k).ifPresent(p -> l.put(p, new Usd(v))));
        return new BudgetPolicy(ref, l, BudgetPolicy.Action.valueOf(action.toUpperCase(java.util.Locale.ROOT)), warnAt == null ? 0.8 : warnAt);
    }

    static final class Builder {
        private String owner, action, updatedAt;
        private Map<String, BigDecimal> limits;
        private Double warnAt;

        void owner(String v) { owner = v; }
        void limits(Map<String, BigDecimal> v) { limits = v; }
        void action(String v) { action = v; }
        void warnAt(Double v) { warnAt = v; }
        void updatedAt(String v) { updatedAt = v; }

        BudgetItem build() {
            return new BudgetItem(owner, limits, action, warnAt, updatedAt);
        }
    }
}
