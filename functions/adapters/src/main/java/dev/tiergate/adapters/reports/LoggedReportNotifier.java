package dev.tiergate.adapters.reports;

import dev.tiergate.core.ports.ReportNotifier;

/** Locally, the summary is a log line. */
public final class LoggedReportNotifier implements ReportNotifier {
    private static final System.Logger LOG = System.getLogger(LoggedReportNotifier.class.getName());

    @Override
    public void publish(String subject, String text) {
        LOG.log(System.Logger.Level.INFO, subject + "\n" + text);
    }
}
