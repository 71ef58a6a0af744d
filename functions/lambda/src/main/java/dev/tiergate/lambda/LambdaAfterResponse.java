package dev.tiergate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.adapters.settlement.AfterResponseSettlements;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * An internal Lambda extension that writes each invocation's settlements after its response: it registers for
 * {@code INVOKE} through the Extensions API, and on each invoke waits for the handler to return, writes what it left in
 * {@link AfterResponseSettlements}, and only then asks for its next event, which is what ends the invocation. Lambda
 * has already returned the response to the client; the time is billed and counts toward the function's timeout, and
 * the environment takes no new invoke meanwhile. (Internal extensions cannot register for {@code SHUTDOWN}; nothing
 * is left to write at a shutdown, since every invocation's settlements are written before it ends.)
 */
public final class LambdaAfterResponse {

    private static final System.Logger LOG = System.getLogger(LambdaAfterResponse.class.getName());
    /** The extension's name, and its thread's. */
    public static final String NAME = "tiergate-settlements";
    /** Left of an invocation's deadline for the writes when its handler overruns. */
    private static final Duration RESERVE = Duration.ofMillis(500);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI base;
    private final AfterResponseSettlements settlements;
    private final ObjectMapper json = new ObjectMapper();

    LambdaAfterResponse(String runtimeApi, AfterResponseSettlements settlements) {
        this.base = URI.create("http://" + runtimeApi + "/2020-01-01/extension/");
        this.settlements = settlements;
    }

    /** Registers and starts the extension's thread; empty (write inline instead) when the Extensions API refuses. */
    public static Optional<LambdaAfterResponse> start(String runtimeApi, AfterResponseSettlements settlements) {
        LambdaAfterResponse ext = new LambdaAfterResponse(runtimeApi, settlements);
        String id;
        try {
            id = ext.register();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not register the settlements extension ({0}); settlements are written before each response", e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        Thread.ofPlatform().daemon().name(NAME).start(() -> ext.loop(id));
        return Optional.of(ext);
    }

    String register() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("register")).header("Lambda-Extension-Name", NAME)
                .POST(HttpRequest.BodyPublishers.ofString("{\"events\":[\"INVOKE\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("register answered " + r.statusCode() + ": " + r.body());
        return r.headers().firstValue("Lambda-Extension-Identifier").orElseThrow(() -> new IOException("register gave no Lambda-Extension-Identifier"));
    }

    private void loop(String id) {
        long invocations = 0;
        while (true) {
            JsonNode event;
            try {
                // Asking for the next event also says this one is done: the invocation ends when runtime and extensions have.
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("event/next")).header("Lambda-Extension-Identifier", id)
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) throw new IOException("event/next answered " + r.statusCode() + ": " + r.body());
                event = json.readTree(r.body());
            } catch (IOException e) {
                // Lambda waits for this extension's Next before it ends an invocation, so it keeps asking; meanwhile
                // settlements are written before each response instead.
                LOG.log(System.Logger.Level.ERROR, "the settlements extension cannot reach the Extensions API ({0}); writing settlements inline",
                        e.toString());
                settlements.makeInline();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException stop) {
                    return;
                }
                continue;
            } catch (InterruptedException e) {
                return;
            }
            if (!"INVOKE".equals(event.path("eventType").asText())) continue;
            invocations++;
            long deadline = event.path("deadlineMs").asLong(System.currentTimeMillis() + 30_000);
            Duration within = Duration.ofMillis(Math.max(0, deadline - System.currentTimeMillis())).minus(RESERVE);
            if (!settlements.writeAfter(invocations, within.isNegative() ? Duration.ZERO : within)) {
                LOG.log(System.Logger.Level.WARNING, "invocation {0} neared its deadline before its handler returned; wrote what it had left",
                        event.path("requestId").asText());
            }
        }
    }
}
