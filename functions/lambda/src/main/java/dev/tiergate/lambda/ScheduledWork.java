package dev.tiergate.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.core.fleet.ReplicaStatus;
import dev.tiergate.core.report.DailyReportJob;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/** What the scheduled functions do with their EventBridge event; each answers a short JSON summary for the log. */
final class ScheduledWork {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ScheduledWork() {
    }

    static String fleetMonitor(Gateway gateway) {
        List<ReplicaStatus> all = gateway.fleetMonitor().check();
        gateway.remoteWrite().ifPresent(p -> p.pushNow());
        ObjectNode out = JSON.createObjectNode();
        out.put("replicas", all.size());
        out.put("healthy", all.stream().filter(ReplicaStatus::healthy).count());
        all.stream().filter(r -> !r.healthy()).forEach(r -> out.withArray("/ejected").addObject()
                .put("tier", r.tier()).put("replica", r.replica().toString()).put("reason", r.reason()));
        return out.toString();
    }

    /**
     * The fullest budget's utilisation now, as the metric the budget alarms follow (every 15 minutes, so an alarm
     * fires within the hour a budget crosses 80% or 150%, not the next morning).
     */
    static String budgetGauge(Gateway gateway) {
        java.util.Optional<dev.tiergate.core.budget.BudgetUtilisation.Fullest> fullest = gateway.budgetUtilisation().fullest();
        double share = fullest.map(f -> f.share()).filter(Double::isFinite).orElse(fullest.isPresent() ? 10.0 : 0.0);
        new dev.tiergate.adapters.metrics.EmfBudgetGauge(software.amazon.lambda.powertools.metrics.MetricsFactory.getMetricsInstance(),
                gateway.config().observability().namespace()).publish(share);
        ObjectNode out = JSON.createObjectNode().put("utilisation_percent", share * 100);
        fullest.ifPresent(f -> out.put("owner", f.owner().toString()).put("period", f.period().wire()));
        return out.toString();
    }

    /** An EventBridge scheduled event carries no date: report yesterday (UTC). {@code {"date":"YYYY-MM-DD"}} re-runs a day. */
    static String dailyReport(Gateway gateway, Map<String, Object> event) {
        LocalDate date;
        Object d = event == null ? null : event.get("date");
        try {
            date = d instanceof String s ? LocalDate.parse(s) : LocalDate.now(ZoneOffset.UTC).minusDays(1);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'date' must be YYYY-MM-DD, got '" + d + "'");
        }
        if (!gateway.config().usage().record()) {
            // A routing-only deployment (usage.record: false) has no records to report on; say so instead of failing
            // every scheduled run (and EventBridge retrying it).
            return JSON.createObjectNode().put("date", date.toString())
                    .put("skipped", "usage records are off (usage.record: false in tiergate.yaml)").toString();
        }
        DailyReportJob.Run run = gateway.reports().run(date);
        // The budget alarms (80% warning, 150% critical) follow the fullest budget of the day.
        double fullest = run.report().budgets().stream().mapToDouble(b -> b.utilisation()).filter(Double::isFinite).max().orElse(0);
        new dev.tiergate.adapters.metrics.EmfBudgetGauge(software.amazon.lambda.powertools.metrics.MetricsFactory.getMetricsInstance(),
                gateway.config().observability().namespace()).publish(fullest);
        ObjectNode out = JSON.createObjectNode();
        out.put("date", date.toString());
        out.put("total_usd", run.report().total().plain());
        out.put("requests", run.report().requests());
        run.artifacts().forEach((k, v) -> out.with("artifacts").put(k, v.toString()));
        return out.toString();
    }
}
