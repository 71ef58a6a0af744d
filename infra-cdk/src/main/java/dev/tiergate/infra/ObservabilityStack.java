package dev.tiergate.infra;

import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.services.iam.ArnPrincipal;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Alerting and the operators' dashboard. Three SNS topics by severity (critical, warning, info: reports and budget
 * warnings). Alarms follow the reference thresholds: critical at an error rate over 10%, a budget over 150%, a fleet
 * tier with no healthy replica; warning at errors over 5%, small-tier p95 over 1 s, a budget at 80%, KV cache over 95%,
 * queue over 20, and the top tier taking over 25% of traffic (router drift).
 */
public final class ObservabilityStack extends Stack {

    public static final String SERVICE = "tiergate";

    private final Topic critical;
    private final Topic warning;
    private final Topic info;
    private final Key alertsKey;

    public ObservabilityStack(Construct scope, String id, StackProps props, TiergateConfig config, Optional<String> email) {
        super(scope, id, props);
        // CloudWatch alarms and Auto Scaling notifications cannot publish to a topic under the AWS-managed SNS key: its
        // policy cannot be changed to admit them. A key of our own, whose policy does, makes the alarms reach people.
        alertsKey = Key.Builder.create(this, "AlertsKey").description("tiergate alert topics").enableKeyRotation(true).build();
        alertsKey.addToResourcePolicy(PolicyStatement.Builder.create().sid("CloudWatchAlarmsPublish")
                .principals(List.of(new ServicePrincipal("cloudwatch.amazonaws.com")))
                .actions(List.of("kms:Decrypt", "kms:GenerateDataKey*")).resources(List.of("*")).build());
        alertsKey.addToResourcePolicy(PolicyStatement.Builder.create().sid("AutoScalingNotificationsPublish")
                .principals(List.of(new ArnPrincipal("arn:" + Aws.PARTITION + ":iam::" + Aws.ACCOUNT_ID
                        + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")))
                .actions(List.of("kms:Decrypt", "kms:GenerateDataKey*")).resources(List.of("*")).build());
        critical = topic("Critical");
        warning = topic("Warning");
        info = topic("Info");
        email.ifPresent(e -> {
            critical.addSubscription(new EmailSubscription(e));
            warning.addSubscription(new EmailSubscription(e));
            info.addSubscription(new EmailSubscription(e));
        });
        String ns = config.observability().namespace();
        List<TierConfig> tiers = config.tiers();

        Map<String, IMetric> requests = new LinkedHashMap<>();
        Map<String, IMetric> errors = new LinkedHashMap<>();
        for (int i = 0; i < tiers.size(); i++) {
            requests.put("r" + i, request(ns, tiers.get(i), "Requests", "Sum"));
            errors.put("e" + i, request(ns, tiers.get(i), "Errors", "Sum"));
        }
        Map<String, IMetric> both = new LinkedHashMap<>(requests);
        both.putAll(errors);
        // FILL: a tier with no traffic in the window has no datapoint, and without it the sum (and so the rate) is
        // missing: one quiet tier would blind the alarm to every other tier's errors.
        String sumR = String.join("+", requests.keySet().stream().map(k -> "FILL(" + k + ",0)").toList());
        String sumE = String.join("+", errors.keySet().stream().map(k -> "FILL(" + k + ",0)").toList());
        MathExpression errorRate = MathExpression.Builder.create().expression("100*(" + sumE + ")/(" + sumR + ")")
                .usingMetrics(both).label("error rate %").period(Duration.minutes(5)).build();
        alarm("ErrorRateCritical", critical, errorRate, 10, 2, "error rate over 10%");
        alarm("ErrorRateWarning", warning, errorRate, 5, 2, "error rate over 5%");
        TierConfig small = tiers.getFirst();
        alarm("SmallTierLatencyP95", warning, request(ns, small, "Latency", "p95"), 1000, 3,
                "tier '" + small.name() + "' p95 latency over 1 s");
        TierConfig top = tiers.getLast();
        MathExpression topShare = MathExpression.Builder.create()
                .expression("100*r" + (tiers.size() - 1) + "/(" + sumR + ")").usingMetrics(requests)
                .label("top-tier share %").period(Duration.minutes(15)).build();
        alarm("TopTierShare", warning, topShare, 25, 2, "tier '" + top.name() + "' takes over 25% of requests: router drift?");
        Metric budget = Metric.Builder.create().namespace(ns).metricName("BudgetUtilisationPercent")
                .dimensionsMap(Map.of("Service", SERVICE)).statistic("Maximum").period(Duration.hours(1)).build();
        alarm("BudgetWarning", warning, budget, 80, 1, "a budget reached 80% of its limit");
        alarm("BudgetExceeded", critical, budget, 150, 1, "a budget exceeded its limit by 50%");

        List<IMetric> queue = new ArrayList<>();
        List<IMetric> kv = new ArrayList<>();
        for (TierConfig t : tiers) {
            if (t.fleet().isEmpty()) continue;
            Metric healthy = fleet(ns, t, "HealthyReplicas", "Minimum");
            Metric kvUse = fleet(ns, t, "KvCacheUsage", "Maximum");
            // The CloudWatch agent on each instance scrapes vLLM every 10 s: the minute's Average is the queue per replica
            // (a Sum would add six samples of every replica, and fire at about 4 waiting instead of 20).
            Metric waiting = Metric.Builder.create().namespace(Ec2FleetStack.FLEET_NAMESPACE).metricName("vllm:num_requests_waiting")
                    .dimensionsMap(Map.of("tier", t.name())).statistic("Average").period(Duration.minutes(1)).build();
            queue.add(waiting);
            kv.add(kvUse);
            if (t.fleet().get().minInstances() > 0) {
                Alarm a = alarm("NoHealthyReplica-" + t.name(), critical, healthy, 1, 2, "tier '" + t.name() + "' has no healthy replica");
                ((software.amazon.awscdk.services.cloudwatch.CfnAlarm) a.getNode().getDefaultChild()).setComparisonOperator("LessThanThreshold");
                ((software.amazon.awscdk.services.cloudwatch.CfnAlarm) a.getNode().getDefaultChild()).setTreatMissingData("breaching");
            }
            alarm("KvCache-" + t.name(), warning, kvUse, 95, 3, "tier '" + t.name() + "' KV cache over 95%");
            alarm("Queue-" + t.name(), warning, waiting, 20, 1, "tier '" + t.name() + "' has more than 20 requests waiting per replica");
        }

        Dashboard d = Dashboard.Builder.create(this, "Dashboard").dashboardName("tiergate").build();
        List<IMetric> p50 = new ArrayList<>(), p95 = new ArrayList<>(), p99 = new ArrayList<>(), cost = new ArrayList<>(), share = new ArrayList<>();
        for (TierConfig t : tiers) {
            p50.add(request(ns, t, "Latency", "p50"));
            p95.add(request(ns, t, "Latency", "p95"));
            p99.add(request(ns, t, "Latency", "p99"));
            cost.add(Metric.Builder.create().namespace(ns).metricName("CostUsd").dimensionsMap(dims(t)).statistic("Sum")
                    .period(Duration.hours(1)).label(t.name() + " $/hour").build());
            share.add(request(ns, t, "Requests", "Sum"));
        }
        d.addWidgets(graph("Latency p50 (ms)", p50), graph("Latency p95 (ms)", p95), graph("Latency p99 (ms)", p99));
        d.addWidgets(graph("Error rate (%)", List.of(errorRate)), graph("Requests by tier", share), graph("Cost per hour (USD)", cost));
        d.addWidgets(graph("Budget utilisation, fullest (%)", List.of(budget)), graph("Queue depth by tier", queue),
                graph("KV-cache use by tier (%)", kv));
        CfnOutput.Builder.create(this, "CriticalTopic").value(critical.getTopicArn()).build();
        CfnOutput.Builder.create(this, "WarningTopic").value(warning.getTopicArn()).build();
    }

    private Topic topic(String name) {
        return Topic.Builder.create(this, name).displayName("tiergate " + name.toLowerCase(java.util.Locale.ROOT))
                .masterKey(alertsKey).enforceSsl(true).build();
    }

    /**
     * A request metric's dimensions as the gateway's EMF documents declare them: Powertools writes its {@code Service}
     * dimension as a set of its own beside {@code [tier, model]}, so CloudWatch holds {tier, model} and {Service}
     * series, never one with all three.
     */
    static Map<String, String> dims(TierConfig t) {
        return Map.of("tier", t.name(), "model", t.model());
    }

    private static Metric request(String ns, TierConfig t, String name, String statistic) {
        return Metric.Builder.create().namespace(ns).metricName(name).dimensionsMap(dims(t)).statistic(statistic)
                .period(Duration.minutes(5)).label(t.name()).build();
    }

    private static Metric fleet(String ns, TierConfig t, String name, String statistic) {
        return Metric.Builder.create().namespace(ns).metricName(name).dimensionsMap(Map.of("tier", t.name()))
                .statistic(statistic).period(Duration.minutes(1)).label(t.name()).build();
    }

    private Alarm alarm(String id, Topic topic, IMetric metric, double threshold, int periods, String description) {
        Alarm a = Alarm.Builder.create(this, id).metric(metric).threshold(threshold).evaluationPeriods(periods)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD).treatMissingData(TreatMissingData.NOT_BREACHING)
                .alarmDescription(description).build();
        a.addAlarmAction(new SnsAction(topic));
        return a;
    }

    private static GraphWidget graph(String title, List<IMetric> metrics) {
        return GraphWidget.Builder.create().title(title).left(metrics).width(8).build();
    }

    /** The topics' key: whoever publishes to them needs {@code kms:GenerateDataKey*} and {@code kms:Decrypt} on it. */
    public Key alertsKey() {
        return alertsKey;
    }

    public Topic critical() {
        return critical;
    }

    public Topic warning() {
        return warning;
    }

    public Topic info() {
        return info;
    }
}
