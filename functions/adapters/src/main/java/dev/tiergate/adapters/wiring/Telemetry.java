package dev.tiergate.adapters.wiring;

import dev.tiergate.adapters.metrics.GatewayMetrics;
import dev.tiergate.adapters.reports.FileReportStore;
import dev.tiergate.adapters.reports.LoggedReportNotifier;
import dev.tiergate.core.budget.BudgetAlerts;
import dev.tiergate.core.budget.LoggedBudgetAlerts;
import dev.tiergate.core.fleet.FleetGauges;
import dev.tiergate.core.observability.RequestObserver;
import dev.tiergate.core.observability.Tracer;
import dev.tiergate.core.ports.ReportNotifier;
import dev.tiergate.core.ports.ReportStore;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a runtime plugs into a gateway to be observed and to report: request observers (EMF and JSON logs in
 * Lambda), the tracer, the Prometheus metrics every runtime keeps, where reports and alerts go, and where fleet
 * measurements go.
 */
public record Telemetry(GatewayMetrics metrics, List<RequestObserver> observers, Tracer tracer, ReportStore reports,
                        ReportNotifier notifier, BudgetAlerts alerts, List<FleetGauges> fleetGauges) {

    public Telemetry {
        observers = List.copyOf(observers);
        fleetGauges = List.copyOf(fleetGauges);
    }

    /** The local runtime's: Prometheus metrics only, reports under the data folder, alerts and summaries as log lines. */
    public static Telemetry local(Path dataDir) {
        GatewayMetrics m = new GatewayMetrics();
        return new Telemetry(m, List.of(), Tracer.NONE, new FileReportStore(dataDir), new LoggedReportNotifier(),
                new LoggedBudgetAlerts(), List.of(m));
    }
}
