package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.time.Instant;
import java.util.Optional;

/**
 * One (scope, period) row a reservation touches: every request counts in every scope's hour, day and month rows,
 * budgeted or not, so that a budget set mid-period sees what was already spent.
 *
 * @param limit the limit to enforce, when the scope has one for this period
 */
public record LedgerRow(ScopeRef owner, Period period, String periodKey, Optional<Usd> limit, Instant resetsAt) {}
