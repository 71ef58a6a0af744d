package dev.tiergate.local;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;

/** {@code tiergate report}: runs the daily cost report on a running stack through {@code POST /admin/reports/daily}. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Run the daily cost report for one UTC day on a running gateway (bin/tiergate up, or a deployed one) "
                + "and print where its JSON, CSV and HTML went.",
                "Needs an organisation admin key in TIERGATE_ADMIN_KEY."})
final class ReportCommand implements Callable<Integer> {

    @Option(names = "--date", description = "The day, YYYY-MM-DD (default: today, UTC).")
    LocalDate date;
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "The gateway (default: ${DEFAULT-VALUE}).")
    URI url;

    @Override
    public Integer call() throws Exception {
        String key = System.getenv("TIERGATE_ADMIN_KEY");
        if (key == null || key.isBlank()) {
            System.err.println("Set TIERGATE_ADMIN_KEY to an organisation admin key (bin/tiergate up prints one).");
            return 2;
        }
        LocalDate day = date != null ? date : LocalDate.now(ZoneOffset.UTC);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(url.resolve("/admin/reports/daily")).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"date\":\"" + day + "\"}")).build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            System.err.println("No gateway at " + url + ": start one with bin/tiergate up, or pass --url.");
            return 1;
        }
        System.out.println(r.body());
        return r.statusCode() == 200 ? 0 : 1;
    }
}
