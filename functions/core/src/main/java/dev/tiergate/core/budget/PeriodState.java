package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;

import java.time.Instant;
import java.util.Optional;

/**
 * What a scope has spent in one period, what its requests hold one by one ({@code reserved}) and what gateway
 * instances hold as leases on it ({@code leased}), against its limit.
 */
public record PeriodState(Period period, String periodKey, Usd spent, Usd reserved, Usd leased, Optional<Usd> limit, Instant resetsAt) {

    public PeriodState(Period period, String periodKey, Usd spent, Usd reserved, Optional<Usd> limit, Instant resetsAt) {
        this(period, periodKey, spent, reserved, Usd.ZERO, limit, resetsAt);
    }
}
