package dev.tiergate.core.budget;

import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.UsageLog;
import dev.tiergate.core.usage.UsageRecord;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/**
 * What a scope spent in a period, summed from the usage records: the ledger keeps rows only for the scopes and
 * periods that carry a limit, so this is the spend of all the others, and where a new limit's row starts from. The
 * records are read by UTC day (a team's, or the organisation's for a key or a user), so a month costs a read per day.
 */
public final class UsageSpend {

    private final UsageLog usage;
    private final String org;

    public UsageSpend(UsageLog usage, String org) {
        this.usage = usage;
        this.org = org;
    }

    public Usd spent(ScopeRef owner, Period period, Instant at, BudgetCalendar calendar) {
        Instant from = calendar.startsAt(period, at);
        Instant to = calendar.resetsAt(period, at);
        Usd total = Usd.ZERO;
        LocalDate last = to.minusMillis(1).atZone(ZoneOffset.UTC).toLocalDate();
        for (LocalDate day = from.atZone(ZoneOffset.UTC).toLocalDate(); !day.isAfter(last); day = day.plusDays(1)) {
            List<UsageRecord> records = owner.scope() == Scope.TEAM ? usage.forTeamDay(owner.id(), day) : usage.forOrgDay(org, day);
            for (UsageRecord r : records) {
                if (r.timestamp().isBefore(from) || !r.timestamp().isBefore(to) || !counts(owner, r)) continue;
                total = total.plus(r.cost());
            }
        }
        return total;
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
