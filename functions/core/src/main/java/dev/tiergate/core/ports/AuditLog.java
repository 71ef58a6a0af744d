package dev.tiergate.core.ports;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Optional;

/** Every admin action: who (a key id, never a secret), what, on what, when, and the state before and after. */
public interface AuditLog {

    record Entry(Instant at, String actorKeyId, String actorRole, String action, String target,
                 Optional<JsonNode> before, Optional<JsonNode> after) {}

    void record(Entry entry);
}
