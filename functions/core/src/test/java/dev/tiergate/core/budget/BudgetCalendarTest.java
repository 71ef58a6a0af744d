package dev.tiergate.core.budget;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetCalendarTest {

    private final BudgetCalendar ny = new BudgetCalendar(ZoneId.of("America/New_York"));

    @Test
    void periodsFollowTheConfiguredZoneNotUtc() {
        Instant lateEvening = Instant.parse("2026-11-23T04:59:00Z"); // 23:59 on 22 Nov in New York
        assertThat(ny.periodKey(Period.DAY, lateEvening)).isEqualTo("day#2026-11-22");
        assertThat(ny.resetsAt(Period.DAY, lateEvening)).isEqualTo(Instant.parse("2026-11-23T05:00:00Z"));
        assertThat(ny.periodKey(Period.DAY, Instant.parse("2026-11-23T05:00:00Z"))).isEqualTo("day#2026-11-23");
        assertThat(ny.periodKey(Period.HOUR, lateEvening)).isEqualTo("hour#2026-11-22T23");
    }

    @Test
    void monthsRollOverAtLocalMidnightOfTheFirst() {
        Instant lastMinuteOfJanuary = Instant.parse("2027-02-01T04:59:59Z");
        assertThat(ny.periodKey(Period.MONTH, lastMinuteOfJanuary)).isEqualTo("month#2027-01");
        assertThat(ny.resetsAt(Period.MONTH, lastMinuteOfJanuary)).isEqualTo(Instant.parse("2027-02-01T05:00:00Z"));
        assertThat(ny.periodKey(Period.MONTH, Instant.parse("2027-02-01T05:00:00Z"))).isEqualTo("month#2027-02");
        // December rolls into the next year.
        assertThat(ny.resetsAt(Period.MONTH, Instant.parse("2026-12-15T12:00:00Z"))).isEqualTo(Instant.parse("2027-01-01T05:00:00Z"));
    }

    @Test
    void daylightSavingDaysHaveTheirRealLength() {
        // 8 March 2026: clocks spring forward in New York, the day is 23 hours long.
        Instant morning = Instant.parse("2026-03-08T12:00:00Z");
        assertThat(ny.resetsAt(Period.DAY, morning)).isEqualTo(Instant.parse("2026-03-09T04:00:00Z"));
        assertThat(ny.resetsAt(Period.HOUR, Instant.parse("2026-03-08T06:30:00Z"))).isEqualTo(Instant.parse("2026-03-08T07:00:00Z"));
    }
}
