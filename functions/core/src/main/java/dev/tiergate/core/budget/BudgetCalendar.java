package dev.tiergate.core.budget;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/**
 * Which hour, day and month an instant belongs to in the budgets' time zone, and when each period resets. Each
 * period has its own ledger row, so a new period starts from zero atomically: nothing is reset, a new row is used.
 */
public final class BudgetCalendar {

    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd");
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM");

    private final ZoneId zone;

    public BudgetCalendar(ZoneId zone) {
        this.zone = zone;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The ledger key of the period containing {@code at}, e.g. {@code day#2026-11-22}. */
    public String periodKey(Period p, Instant at) {
        ZonedDateTime t = at.atZone(zone);
        return switch (p) {
            case HOUR -> "hour#" + HOUR.format(t);
            case DAY -> "day#" + DAY.format(t);
            case MONTH -> "month#" + MONTH.format(t);
            case REQUEST -> throw new IllegalArgumentException("a per-request limit has no period row");
        };
    }

    /** When the period containing {@code at} began. */
    public Instant startsAt(Period p, Instant at) {
        ZonedDateTime t = at.atZone(zone);
        ZonedDateTime start = switch (p) {
            case HOUR -> t.truncatedTo(ChronoUnit.HOURS);
            case DAY -> t.toLocalDate().atStartOfDay(zone);
            case MONTH -> t.toLocalDate().withDayOfMonth(1).atStartOfDay(zone);
            case REQUEST -> throw new IllegalArgumentException("a per-request limit has no period");
        };
        return start.toInstant();
    }

    /** When the period containing {@code at} ends (and the next one starts from zero). */
    public Instant resetsAt(Period p, Instant at) {
        ZonedDateTime t = at.atZone(zone);
        ZonedDateTime next = switch (p) {
            case HOUR -> t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
            case DAY -> t.toLocalDate().plusDays(1).atStartOfDay(zone);
            case MONTH -> t.toLocalDate().with(TemporalAdjusters.firstDayOfNextMonth()).atStartOfDay(zone);
            case REQUEST -> throw new IllegalArgumentException("a per-request limit does not reset");
        };
        return next.toInstant();
    }
}
