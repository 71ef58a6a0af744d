package dev.tiergate.core.report;

import dev.tiergate.core.money.Usd;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DailyReportJobTest {

    @Test
    void budgetAlertsInTheSummaryCarryExactAmounts() {
        DailyReport r = new DailyReport(LocalDate.parse("2026-12-06"), "acme", 3, 10, 20, 0, Usd.of("0.0000327"),
                List.of(), List.of(), List.of(), List.of(), 0, new DailyReport.Latency(1, 2, 3, 4), 0, 0, List.of(), "large",
                Usd.of("0.0001"), Usd.of("0.0000673"), Map.of(),
                List.of(new DailyReport.BudgetUse("key key_1", "day", Usd.of("0.0000327"), Usd.of("0.00001"), 3.27),
                        new DailyReport.BudgetUse("team search", "day", Usd.of("0.0000091"), Usd.of("0.00001"), 0.91)));
        String text = DailyReportJob.summary(r, URI.create("file:///r.html"));
        assertThat(text).contains("BUDGET EXCEEDED: key key_1 day at 327% ($0.0000327 of $0.00001)")
                .contains("Budget warning: team search day at 91% ($0.0000091 of $0.00001)")
                .doesNotContain("$0.0000 of");
    }
}
