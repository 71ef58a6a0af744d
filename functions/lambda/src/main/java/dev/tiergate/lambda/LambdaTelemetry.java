package dev.tiergate.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.metrics.EmfFleetGauges;
import dev.tiergate.adapters.metrics.EmfRequestMetrics;
import dev.tiergate.adapters.metrics.GatewayMetrics;
import dev.tiergate.adapters.metrics.RequestLog;
import dev.tiergate.adapters.reports.FileReportStore;
import dev.tiergate.adapters.reports.LoggedReportNotifier;
import dev.tiergate.adapters.reports.S3ReportStore;
import dev.tiergate.adapters.reports.SnsNotifications;
import dev.tiergate.adapters.tracing.XRayTracer;
import dev.tiergate.adapters.wiring.Telemetry;
import dev.tiergate.core.budget.BudgetAlerts;
import dev.tiergate.core.budget.LoggedBudgetAlerts;
import dev.tiergate.core.observability.Tracer;
import dev.tiergate.core.ports.ReportNotifier;
import dev.tiergate.core.ports.ReportStore;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Telemetry inside Lambda: EMF metrics and JSON request logs on stdout, X-Ray subsegments when tracing is on, reports
 * to S3 and summaries and budget warnings to SNS when the stack provides them. The S3 and SNS clients are made on first
 * use, so a chat function that never reports pays nothing for them at cold start.
 */
final class LambdaTelemetry {

    private LambdaTelemetry() {
    }

    static Telemetry of(LambdaSettings s) {
        String ns = s.config().observability().namespace();
        Metrics emf = MetricsFactory.getMetricsInstance();
        GatewayMetrics prometheus = new GatewayMetrics();
        EmfRequestMetrics requests = new EmfRequestMetrics(emf, ns);
        if ("on-demand".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) requests.coldStart();
        Tracer tracer = LambdaSettings.value("AWS_XRAY_DAEMON_ADDRESS")
                .<Tracer>map(a -> new XRayTracer(XRayTracer.daemonAddress(a), LambdaTelemetry::traceHeader)).orElse(Tracer.NONE);
        ReportStore store = s.reportsBucket().<ReportStore>map(b -> {
            java.util.function.Supplier<S3Client> client = memo(() -> S3Client.builder().httpClient(UrlConnectionHttpClient.create()).build());
            return (date, name, type, body) -> new S3ReportStore(client.get(), b).store(date, name, type, body);
        }).orElseGet(() -> new FileReportStore(Path.of(System.getProperty("java.io.tmpdir"), "tiergate")));
        ReportNotifier notifier = new LoggedReportNotifier();
        BudgetAlerts alerts = new LoggedBudgetAlerts();
        if (s.alertsTopicArn().isPresent()) {
            String topic = s.alertsTopicArn().get();
            java.util.function.Supplier<SnsNotifications> sns = memo(() ->
                    new SnsNotifications(SnsClient.builder().httpClient(UrlConnectionHttpClient.create()).build(), topic));
            notifier = (subject, text) -> sns.get().publish(subject, text);
            alerts = (row, committed, limit) -> sns.get().warn(row, committed, limit);
        }
        Telemetry t = new Telemetry(prometheus, List.of(requests, RequestLog.toStdout(new ObjectMapper(), "tiergate")), tracer,
                store, notifier, alerts, List.of(prometheus, new EmfFleetGauges(emf, ns)), Optional.empty());
        // Remote-write from Lambda: the fleet monitor pushes the fleet series after each check (request metrics go to
        // CloudWatch as EMF; pushing per invocation would put a network call on every request).
        return s.config().observability().remoteWrite().map(rw -> t.withRemoteWrite(rw.url(), rw.sigv4Region().map(region ->
                new dev.tiergate.adapters.metrics.RemoteWriteClient.Signing(region,
                        software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider.builder().build())),
                "lambda:" + System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "local"))).orElse(t);
    }

    /** The Java runtime passes the invocation's trace header as a system property; other runtimes as an env var. */
    static Optional<String> traceHeader() {
        return Optional.ofNullable(System.getProperty("com.amazonaws.xray.traceHeader"))
                .or(() -> Optional.ofNullable(System.getenv("_X_AMZN_TRACE_ID")));
    }

    private static <T> java.util.function.Supplier<T> memo(java.util.function.Supplier<T> make) {
        return new java.util.function.Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) value = make.get();
                return value;
            }
        };
    }
}
