package dev.tiergate.adapters.wiring;

import dev.tiergate.adapters.metrics.GatewayMetrics;
import dev.tiergate.adapters.metrics.RemoteWriteClient;
import dev.tiergate.adapters.metrics.RemoteWriteEncoder;
import dev.tiergate.adapters.metrics.RemoteWritePusher;
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
                        ReportNotifier notifier, BudgetAlerts alerts, List<FleetGauges> fleetGauges,
                        java.util.Optional<RemoteWritePusher> remoteWrite) {

    public Telemetry {
        observers = List.copyOf(observers);
        fleetGauges = List.copyOf(fleetGauges);
    }

    /** The local runtime's: Prometheus metrics only, reports under the data folder, alerts and summaries as log lines. */
    public static Telemetry local(Path dataDir) {
        GatewayMetrics m = new GatewayMetrics();
        return new Telemetry(m, List.of(), Tracer.NONE, new FileReportStore(dataDir), new LoggedReportNotifier(),
                new LoggedBudgetAlerts(), List.of(m), java.util.Optional.empty());
    }

    /** The same, pushing {@link #metrics} by remote-write to this URL (SigV4 for AMP when a region is given). */
    public Telemetry withRemoteWrite(java.net.URI url, java.util.Optional<RemoteWriteClient.Signing> signing, String instance) {
        RemoteWritePusher p = new RemoteWritePusher(metrics, new RemoteWriteEncoder(java.util.Map.of("job", "tiergate", "instance", instance)),
                new RemoteWriteClient(url, signing, 5, java.time.Duration.ofMillis(30), java.time.Duration.ofSeconds(5)),
                java.time.Clock.systemUTC());
        return new Telemetry(metrics, observers, tracer, reports, notifier, alerts, fleetGauges, java.util.Optional.of(p));
    }
}
