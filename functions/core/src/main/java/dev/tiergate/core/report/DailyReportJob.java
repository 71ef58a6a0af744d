package dev.tiergate.core.report;

import dev.tiergate.core.ports.ReportNotifier;
import dev.tiergate.core.ports.ReportStore;

import java.net.URI;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The scheduled (and on-demand) daily report: build it, store it as JSON, CSV and HTML, and send a short summary with
 * any budget at 80% or more of its limit. Re-running a day overwrites its artifacts, so a retry never duplicates.
 */
public final class DailyReportJob {

    /** What a run produced. */
    public record Run(DailyReport report, Map<String, URI> artifacts) {
        public Run {
            artifacts = Map.copyOf(artifacts);
        }
    }

    private final DailyCostReport reports;
    private final ReportRenderer renderer;
    private final ReportStore store;
    private final ReportNotifier notifier;

    public DailyReportJob(DailyCostReport reports, ReportRenderer renderer, ReportStore store, ReportNotifier notifier) {
        this.reports = reports;
        this.renderer = renderer;
        this.store = store;
        this.notifier = notifier;
    }

    public Run run(LocalDate date) {
        DailyReport r = reports.build(date);
        Map<String, URI> artifacts = new LinkedHashMap<>();
        artifacts.put("json", store.store(date, "report.json", "application/json", renderer.json(r)));
        artifacts.put("csv", store.store(date, "report.csv", "text/csv; charset=utf-8", renderer.csv(r)));
        artifacts.put("html", store.store(date, "report.html", "text/html; charset=utf-8", renderer.html(r)));
        notifier.publish(subject(r), summary(r, artifacts.get("html")));
        return new Run(r, artifacts);
    }

    static String subject(DailyReport r) {
        long alerts = r.budgets().stream().filter(b -> b.utilisation() >= 0.8).count();
        return "tiergate " + r.organization() + " " + r.date() + ": " + ReportRenderer.cents(r.total())
                + (alerts > 0 ? " (" + alerts + " budget alert" + (alerts > 1 ? "s" : "") + ")" : "");
    }

    /** Plain text that reads well in an e-mail: totals, top teams and tiers, savings, budget alerts. */
    static String summary(DailyReport r, URI html) {
        StringBuilder sb = new StringBuilder();
        sb.append("Spend on ").append(r.date()).append(" (UTC): ").append(ReportRenderer.cents(r.total())).append(" over ")
                .append(r.requests()).append(" requests.\n");
        sb.append(String.format(Locale.ROOT, "Cache hit rate %.1f%%, errors %.1f%%, fallbacks %.1f%%, latency p50/p95/p99 %d/%d/%d ms.%n",
                r.cacheHitRate() * 100, r.errorRate() * 100, r.fallbackRate() * 100, r.latency().p50(), r.latency().p95(), r.latency().p99()));
        sb.append("Saved ").append(ReportRenderer.cents(r.savingsVsTopTier())).append(" against sending everything to '")
                .append(r.topTier()).append("'");
        r.referenceCosts().forEach((k, v) -> sb.append("; ").append(ReportRenderer.cents(v.minus(r.total()))).append(" against ").append(k));
        sb.append(".\n");
        r.byTeam().stream().limit(5).forEach(t -> sb.append("  team ").append(t.name()).append(": ").append(ReportRenderer.cents(t.cost()))
                .append(" (").append(t.requests()).append(" requests)\n"));
        for (DailyReport.BudgetUse b : r.budgets()) {
            if (b.utilisation() < 0.8) continue;
            sb.append(b.utilisation() >= 1.0 ? "BUDGET EXCEEDED: " : "Budget warning: ").append(b.scope()).append(' ').append(b.period())
                    .append(String.format(Locale.ROOT, " at %.0f%%", b.utilisation() * 100)).append(" (")
                    // Exact: a rounded "$0.0000 of $0.0000" says nothing about a budget of a fraction of a cent.
                    .append(b.spent()).append(" of ").append(b.limit()).append(")\n");
        }
        sb.append("Full report: ").append(html).append('\n');
        return sb.toString();
    }
}
