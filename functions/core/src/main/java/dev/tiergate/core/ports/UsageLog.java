package dev.tiergate.core.ports;

import dev.tiergate.core.usage.UsageRecord;

import java.time.LocalDate;
import java.util.List;

/** The record of every dispatched request: tokens, cost, latency, outcome. The source of truth for spend. */
public interface UsageLog {

    void record(UsageRecord record);

    /** One team's records for one UTC day, oldest first. */
    List<UsageRecord> forTeamDay(String team, LocalDate day);

    /** The whole organisation's records for one UTC day. */
    List<UsageRecord> forOrgDay(String org, LocalDate day);
}
