package dev.tiergate.adapters.dynamodb;

import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.usage.UsageRecord;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.StaticImmutableTableSchema;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.primaryPartitionKey;
import static software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.primarySortKey;

/**
 * A row of the usage table. Partitioned by team and UTC day ({@code team#<team>#<yyyy-mm-dd>}), sorted by time and
 * request id, which is how reports and chargeback read it. Cost is a DynamoDB number: exact decimal, never a float.
 */
record UsageItem(String pk, String sk, String orgDay, String requestId, String timestamp, String keyId, String org, String team,
                 String user, String tier, String model, Integer promptTokens, Integer completionTokens,
                 Integer cachedTokens, BigDecimal costUsd, Long latencyMs, Integer status, String outcome,
                 Boolean stream, String usageSource, String fallbackFrom) {

    static String partition(String team, LocalDate day) {
        return "team#" + team + "#" + day;
    }

    /** The organisation-wide day, the partition of the {@code by_org_day} index. */
    static String orgDay(String org, LocalDate day) {
        return "org#" + org + "#" + day;
    }

    static final String BY_ORG_DAY = "by_org_day";

    static final TableSchema<UsageItem> SCHEMA = StaticImmutableTableSchema.builder(UsageItem.class, Builder.class)
            .newItemBuilder(Builder::new, Builder::build)
            .addAttribute(String.class, a -> a.name("pk").getter(UsageItem::pk).setter(Builder::pk).tags(primaryPartitionKey()))
            .addAttribute(String.class, a -> a.name("sk").getter(UsageItem::sk).setter(Builder::sk).tags(primarySortKey(),
                    software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.secondarySortKey(BY_ORG_DAY)))
            .addAttribute(String.class, a -> a.name("org_day").getter(UsageItem::orgDay).setter(Builder::orgDay)
                    .tags(software.amazon.awssdk.enhanced.dynamodb.mapper.StaticAttributeTags.secondaryPartitionKey(BY_ORG_DAY)))
            .addAttribute(String.class, a -> a.name("request_id").getter(UsageItem::requestId).setter(Builder::requestId))
            .addAttribute(String.class, a -> a.name("timestamp").getter(UsageItem::timestamp).setter(Builder::timestamp))
            .addAttribute(String.class, a -> a.name("key_id").getter(UsageItem::keyId).setter(Builder::keyId))
            .addAttribute(String.class, a -> a.name("org").getter(UsageItem::org).setter(Builder::org))
            .addAttribute(String.class, a -> a.name("team").getter(UsageItem::team).setter(Builder::team))
            .addAttribute(String.class, a -> a.name("user").getter(UsageItem::user).setter(Builder::user))
            .addAttribute(String.class, a -> a.name("tier").getter(UsageItem::tier).setter(Builder::tier))
            .addAttribute(String.class, a -> a.name("model").getter(UsageItem::model).setter(Builder::model))
            .addAttribute(Integer.class, a -> a.name("prompt_tokens").getter(UsageItem::promptTokens).setter(Builder::promptTokens))
            .addAttribute(Integer.class, a -> a.name("completion_tokens").getter(UsageItem::completionTokens).setter(Builder::completionTokens))
            .addAttribute(Integer.class, a -> a.name("cached_tokens").getter(UsageItem::cachedTokens).setter(Builder::cachedTokens))
            .addAttribute(BigDecimal.class, a -> a.name("cost_usd").getter(UsageItem::costUsd).setter(Builder::costUsd))
            .addAttribute(Long.class, a -> a.name("latency_ms").getter(UsageItem::latencyMs).setter(Builder::latencyMs))
            .addAttribute(Integer.class, a -> a.name("status").getter(UsageItem::status).setter(Builder::status))
            .addAttribute(String.class, a -> a.name("outcome").getter(UsageItem::outcome).setter(Builder::outcome))
            .addAttribute(Boolean.class, a -> a.name("stream").getter(UsageItem::stream).setter(Builder::stream))
            .addAttribute(String.class, a -> a.name("usage_source").getter(UsageItem::usageSource).setter(Builder::usageSource))
            .addAttribute(String.class, a -> a.name("fallback_from").getter(UsageItem::fallbackFrom).setter(Builder::fallbackFrom))
            .build();

    static UsageItem from(UsageRecord r) {
        LocalDate day = r.timestamp().atOffset(ZoneOffset.UTC).toLocalDate();
        return new UsageItem(partition(r.team(), day), r.timestamp() + "#" + r.requestId(), orgDay(r.org(), day), r.requestId(),
                r.timestamp().toString(), r.keyId(), r.org(), r.team(), r.user(), r.tier(), r.model(),
                r.tokens().promptTokens(), r.tokens().completionTokens(), r.tokens().cachedTokens(),
                r.cost().amount().stripTrailingZeros(), r.latencyMs(), r.status(), r.outcome().wire(), r.stream(), r.usageSource().wire(),
                r.fallbackFrom().isEmpty() ? null : r.fallbackFrom());
    }

    UsageRecord toRecord() {
        return new UsageRecord(requestId, Instant.parse(timestamp), keyId, org, team, user, tier, model,
                new TokenUsage(promptTokens, completionTokens, cachedTokens), new Usd(costUsd), latencyMs, status,
                dev.tiergate.core.usage.Outcome.fromWire(outcome), Boolean.TRUE.equals(stream),
                dev.tiergate.core.usage.UsageSource.fromWire(usageSource), fallbackFrom == null ? "" : fallbackFrom);
    }

    static final class Builder {
        private String pk, sk, orgDay, requestId, timestamp, keyId, org, team, user, tier, model, outcome, usageSource, fallbackFrom;
        private Integer promptTokens, completionTokens, cachedTokens, status;
        private BigDecimal costUsd;
        private Long latencyMs;
        private Boolean stream;

        void pk(String v) { pk = v; }
        void sk(String v) { sk = v; }
        void orgDay(String v) { orgDay = v; }
        void requestId(String v) { requestId = v; }
        void timestamp(String v) { timestamp = v; }
        void keyId(String v) { keyId = v; }
        void org(String v) { org = v; }
        void team(String v) { team = v; }
        void user(String v) { user = v; }
        void tier(String v) { tier = v; }
        void model(String v) { model = v; }
        void promptTokens(Integer v) { promptTokens = v; }
        void completionTokens(Integer v) { completionTokens = v; }
        void cachedTokens(Integer v) { cachedTokens = v; }
        void costUsd(BigDecimal v) { costUsd = v; }
        void latencyMs(Long v) { latencyMs = v; }
        void status(Integer v) { status = v; }
        void outcome(String v) { outcome = v; }
        void stream(Boolean v) { stream = v; }
        void usageSource(String v) { usageSource = v; }
        void fallbackFrom(String v) { fallbackFrom = v; }

        UsageItem build() {
            return new UsageItem(pk, sk, orgDay, requestId, timestamp, keyId, org, team, user, tier, model, promptTokens,
                    completionTokens, cachedTokens, costUsd, latencyMs, status, outcome, stream, usageSource, fallbackFrom);
        }
    }
}
