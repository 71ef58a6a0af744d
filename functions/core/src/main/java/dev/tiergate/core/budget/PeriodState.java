package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.time.Instant;
import java.util.Optional;

/** What a scope has spent and holds in reservations in one period, against its limit. */
public record PeriodState(Period period, String periodKey, Usd spent, Usd reserved, Optional<Usd> limit, Instant resetsAt) {}
