package dev.tiergate.adapters.reports;

import dev.tiergate.core.budget.BudgetAlerts;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.ports.ReportNotifier;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.PublishRequest;

/**
 * Report summaries and budget warnings to an SNS topic (e-mail subscribers, chat webhooks). SNS subjects are limited
 * to 100 characters of ASCII, so longer ones are cut.
 */
public final class SnsNotifications implements ReportNotifier, BudgetAlerts {

    private final SnsClient sns;
    private final String topicArn;

    public SnsNotifications(SnsClient sns, String topicArn) {
        this.sns = sns;
        this.topicArn = topicArn;
    }

    @Override
    public void publish(String subject, String text) {
        String s = subject.replaceAll("[^\\x20-\\x7e]", "?");
        sns.publish(PublishRequest.builder().topicArn(topicArn).subject(s.length() > 100 ? s.substring(0, 100) : s).message(text).build());
    }

    @Override
    public void warn(LedgerRow row, Usd committed, Usd limit) {
        publish("tiergate budget warning: " + row.owner() + " " + row.period().wire(),
                "Budget of " + row.owner() + " for " + row.period().wire() + " " + row.periodKey() + " has " + committed
                        + " committed of its " + limit + " limit. It resets at " + row.resetsAt() + ".");
    }
}
