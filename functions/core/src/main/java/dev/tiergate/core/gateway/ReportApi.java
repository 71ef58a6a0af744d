package dev.tiergate.core.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.Role;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.report.DailyReportJob;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** {@code POST /admin/reports/daily}: runs the daily cost report for one day on demand; organisation admins only. */
public final class ReportApi {

    private final DailyReportJob job;
    private final Clock clock;
    private final ObjectMapper json;
    private final Responses responses;

    public ReportApi(DailyReportJob job, Clock clock, ObjectMapper json) {
        this.job = job;
        this.clock = clock;
        this.json = json;
        this.responses = new Responses(json);
    }

    public ApiResponse daily(ApiKey caller, byte[] body, String requestId) {
        if (caller.role() != Role.ORG_ADMIN) {
            throw OpenAiError.forbidden("Only organisation admins may run reports: they show every team's spend.").failure();
        }
        LocalDate date = date(body);
        DailyReportJob.Run run = job.run(date);
        ObjectNode out = json.createObjectNode();
        out.put("date", date.toString());
        out.put("total_usd", run.report().total().plain());
        out.put("requests", run.report().requests());
        ObjectNode a = out.putObject("artifacts");
        run.artifacts().forEach((k, v) -> a.put(k, v.toString()));
        return responses.json(200, out, Map.of(Responses.REQUEST_ID, requestId));
    }

    private LocalDate date(byte[] body) {
        JsonNode n = dev.tiergate.core.protocol.JsonBody.parse(body).orElse(null);
        if (n == null || !n.isObject()) throw OpenAiError.invalidRequest("Expected a JSON object: {\"date\": \"YYYY-MM-DD\"}.", null).failure();
        JsonNode d = n.get("date");
        if (d == null || !d.isTextual()) throw OpenAiError.invalidRequest("'date' is required, as a string \"YYYY-MM-DD\".", "date").failure();
        LocalDate date;
        try {
            date = LocalDate.parse(d.asText());
        } catch (DateTimeParseException e) {
            throw OpenAiError.invalidRequest("'date' must be a calendar date as YYYY-MM-DD, got '" + d.asText() + "'.", "date").failure();
        }
        if (date.isAfter(LocalDate.now(clock.withZone(ZoneOffset.UTC)))) {
            throw OpenAiError.invalidRequest("'date' " + date + " is in the future; there is nothing to report yet.", "date").failure();
        }
        return date;
    }
}
