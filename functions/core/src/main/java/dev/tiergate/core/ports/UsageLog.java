package dev.tiergate.core.ports;

import dev.tiergate.core.usage.UsageRecord;

import java.time.LocalDate;
import java.util.List;

/** The record of every dispatched request: tokens, cost, latency, outcome. The source of truth for spend. */
public interface UsageLog {

    /** Writes a record once: a second write of the same request id changes nothing and is not an error. */
    void record(UsageRecord record);

    /** Writes several records, each once; a store may batch them into fewer calls. */
    default void recordAll(List<UsageRecord> records) {
        records.forEach(this::record);
    }

    /** One team's records for one UTC day, oldest first. */
    List<UsageRecord> forTeamDay(String team, LocalDate day);

    /** The whole organisation's records for one UTC day. */
    List<UsageRecord> forOrgDay(String org, LocalDate day);
}
