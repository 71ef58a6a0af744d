package dev.tiergate.core.ports;

/** Where the report's short text summary goes: an SNS topic in AWS (e-mail subscribers), the log locally. */
public interface ReportNotifier {
    void publish(String subject, String text);
}
