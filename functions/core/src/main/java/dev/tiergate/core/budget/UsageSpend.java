package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.KeyStore;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.UsageRecord;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a scope spent in a period, summed from the usage records: the ledger keeps rows only for the scopes and
 * periods that carry a limit, so this is the spend of all the others, and where a new limit's row starts from. The
 * records are read by UTC day, a read per day of the widest period asked for up to now, however many periods: a team's
 * and a key's (all of a key's records are in its team's partition) from the team's days, a user's and the
 * organisation's from the organisation's.
 */
public final class UsageSpend {

    private static final java.time.Duration CLOCK_GRACE = java.time.Duration.ofMinutes(1);

    private final UsageLog usage;
    private final KeyStore keys;
    private final String org;

    public UsageSpend(UsageLog usage, KeyStore keys, String org) {
        this.usage = usage;
        this.keys = keys;
        this.org = org;
    }

    /** The spend in each of these periods around {@code at}, from one read of each day they cover. */
    public Map<Period, Usd> spent(ScopeRef owner, Collection<Period> periods, Instant at, BudgetCalendar calendar) {
        Map<Period, Usd> totals = new EnumMap<>(Period.class);
        if (periods.isEmpty()) return totals;
        Map<Period, Instant> from = new EnumMap<>(Period.class);
        Map<Period, Instant> to = new EnumMap<>(Period.class);
        Instant first = Instant.MAX;
        Instant end = Instant.MIN;
        for (Period p : periods) {
            from.put(p, calendar.startsAt(p, at));
            to.put(p, calendar.resetsAt(p, at));
            totals.put(p, Usd.ZERO);
            if (from.get(p).isBefore(first)) first = from.get(p);
            if (to.get(p).isAfter(end)) end = to.get(p);
        }
        // A key no longer in the store (its records outlive it) is looked for in the organisation's days.
        Optional<String> team = switch (owner.scope()) {
            case TEAM -> Optional.of(owner.id());
            case KEY -> keys.findById(owner.id()).map(k -> k.team());
            case USER, ORG -> Optional.empty();
        };
        // Days after now hold no records yet (a minute's grace for another instance's clock running ahead).
        Instant until = end.minusMillis(1).isBefore(at.plus(CLOCK_GRACE)) ? end.minusMillis(1) : at.plus(CLOCK_GRACE);
        LocalDate last = until.atZone(ZoneOffset.UTC).toLocalDate();
        for (LocalDate day = first.atZone(ZoneOffset.UTC).toLocalDate(); !day.isAfter(last); day = day.plusDays(1)) {
            List<UsageRecord> records = team.isPresent() ? usage.forTeamDay(team.get(), day) : usage.forOrgDay(org, day);
            for (UsageRecord r : records) {
                if (!counts(owner, r)) continue;
                for (Period p : totals.keySet()) {
                    if (!r.timestamp().isBefore(from.get(p)) && r.timestamp().isBefore(to.get(p))) totals.put(p, totals.get(p).plus(r.cost()));
                }
            }
        }
        return totals;
    }

    private boolean counts(ScopeRef owner, UsageRecord r) {
        return switch (owner.scope()) {
            case ORG -> r.org().equals(owner.id());
            case TEAM -> r.team().equals(owner.id());
            case USER -> r.user().equals(owner.id());
            case KEY -> r.keyId().equals(owner.id());
        };
    }
}
