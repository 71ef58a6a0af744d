package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.usage.Outcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** An upstream's error answer, as the client gets it: its own mistakes stay 4xx, the fleet's become 502. */
final class UpstreamRefusals {

    private static final System.Logger LOG = System.getLogger(UpstreamRefusals.class.getName());
    private static final String CONTEXT_PREFIX = "This model's maximum context length is";

    private final ObjectMapper json;

    UpstreamRefusals(ObjectMapper json) {
        this.json = json;
    }

    record Refusal(OpenAiError error, Outcome outcome) {}

    Refusal map(String requestId, String tier, int status, byte[] body) {
        String message = message(body);
        if (status == 400) {
            String code = message.startsWith(CONTEXT_PREFIX) ? "context_length_exceeded" : "invalid_request";
            return new Refusal(new OpenAiError(400, "invalid_request_error", message, Optional.of("messages"), Optional.of(code)),
                    Outcome.REJECTED);
        }
        LOG.log(System.Logger.Level.WARNING, "request {0}: tier {1} answered {2}: {3}", requestId, tier, status, message);
        return new Refusal(OpenAiError.upstream(502, "Tier '" + tier + "' answered HTTP " + status + ": " + message), Outcome.UPSTREAM_ERROR);
    }

    private String message(byte[] body) {
        try {
            JsonNode n = json.readTree(body);
            if (n == null) return "(empty body)";
            JsonNode err = n.get("error");
            if (err != null && err.isObject()) return err.path("message").asText("(no message)");
            if (err != null && err.isTextual()) return err.asText();
            if (n.has("message")) return n.get("message").asText();
            return n.toString();
        } catch (IOException e) {
            return new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        }
    }
}
