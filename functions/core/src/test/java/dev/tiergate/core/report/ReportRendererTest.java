package dev.tiergate.core.report;

import dev.tiergate.core.money.Usd;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReportRendererTest {

    @Test
    void dollarsReadWellAtEveryScaleAndSign() {
        assertThat(ReportRenderer.cents(Usd.of("1234.565"))).isEqualTo("$1,234.56");
        assertThat(ReportRenderer.cents(Usd.of("0.000782"))).isEqualTo("$0.0008");
        assertThat(ReportRenderer.cents(Usd.of("-0.0012"))).isEqualTo("-$0.0012");
        assertThat(ReportRenderer.cents(Usd.of("-12.5"))).isEqualTo("-$12.50");
        assertThat(ReportRenderer.cents(Usd.ZERO)).isEqualTo("$0.0000");
    }

    @Test
    void csvCellsCannotBecomeFormulasOrBreakTheRow() {
        assertThat(ReportRenderer.csvField("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(ReportRenderer.csvField("ana, bo")).isEqualTo("\"ana, bo\"");
        assertThat(ReportRenderer.csvField("-1")).isEqualTo("'-1");
        assertThat(ReportRenderer.csvField("plain")).isEqualTo("plain");
    }

    @Test
    void htmlEscapesNamesAndPercentilesAreObservedValues() {
        assertThat(ReportRenderer.esc("<script>&\"'")).isEqualTo("&lt;script&gt;&amp;&quot;&#39;");
        DailyReport.Latency l = DailyCostReport.latency(List.of(30L, 10L, 20L, 40L));
        assertThat(l).isEqualTo(new DailyReport.Latency(20, 40, 40, 40));
    }
}
