package dev.tiergate.core.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.core.config.GatewaySettings;
import dev.tiergate.core.dispatch.Attempted;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.money.TokenUsage;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.usage.Outcome;
import dev.tiergate.core.usage.TokenCounter;
import dev.tiergate.core.usage.UsageSource;
import dev.tiergate.openai.ChatCompletion;
import dev.tiergate.openai.ServerSentEvents;
import dev.tiergate.openai.Usage;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Relays an upstream's stream to the client as it arrives. Events are held back until the first one that carries a
 * token: if the upstream fails before that, nothing has reached the client and the chain fails over transparently.
 * After that, a failure ends the stream with an error event the OpenAI SDKs raise, and the tokens produced are charged.
 * The relay records nothing itself: it says how the stream ended, and {@link ChatCompletions} records that once.
 */
public final class StreamRelay {

    private final ObjectMapper json;
    private final TokenCounter tokens;
    private final GatewaySettings settings;
    private final Clock clock;
    private final RequestRecorder recorder;

    public StreamRelay(ObjectMapper json, TokenCounter tokens, GatewaySettings settings, Clock clock, RequestRecorder recorder) {
        this.json = json;
        this.tokens = tokens;
        this.settings = settings;
        this.clock = clock;
        this.recorder = recorder;
    }

    /**
     * How a relayed stream ended.
     *
     * @param failure      the error event the client gets, when the stream broke after it started
     * @param completion   the whole answer, when the stream ended well and said why it finished (what the cache keeps)
     */
    record Relayed(Ending ending, Optional<OpenAiError> failure, Optional<ChatCompletion> completion) {
        boolean clientGone() {
            return ending.outcome() == Outcome.CLIENT_DISCONNECTED;
        }
    }

    Relayed relay(ChatContext ctx, FailoverChain.Run chain, Attempted.Opened opened, ApiResponse.EventSink sink) throws IOException {
        TokenUsage reported = null;
        StringBuilder produced = new StringBuilder();
        Outcome outcome;
        OpenAiError failure = null;
        List<String> held = new ArrayList<>();
        boolean started = false;
        String finishReason = null;
        long ttftMs = -1;
        Attempted.Opened current = opened;
        boolean chat = ctx.chat().endpoint() == dev.tiergate.core.protocol.Endpoint.CHAT_COMPLETIONS;
        long openedAt = System.nanoTime();
        Instant journaledAt = clock.instant();
        try {
            while (true) {
                String line;
                String broke = null;
                try {
                    line = current.stream().nextLine();
                    if (line == null) broke = "ended the stream before it was complete";
                } catch (IOException e) {
                    line = null;
                    broke = "broke the stream mid-answer: " + e.getMessage();
                }
                JsonNode chunk = null;
                String data = null;
                if (broke == null) {
                    Optional<String> payload = ServerSentEvents.payload(line);
                    if (payload.isEmpty()) continue;
                    data = payload.get();
                    if (data.equals(ServerSentEvents.DONE)) {
                        outcome = Outcome.OK;
                        for (String h : held) sink.data(h);
                        held.clear();
                        break;
                    }
                    try {
                        chunk = json.readTree(data);
                        if (chunk.has("error")) broke = "failed mid-answer: " + chunk.path("error").path("message").asText(chunk.path("error").asText());
                    } catch (IOException e) {
                        broke = "sent a malformed stream event";
                    }
                }
                if (broke != null) {
                    Duration took = Duration.ofNanos(System.nanoTime() - openedAt);
                    close(current);
                    if (!started) {
                        Optional<Attempted> again = chain.afterBreak(current.replica(), took);
                        if (again.isPresent() && again.get() instanceof Attempted.Opened o) {
                            current = o;
                            openedAt = System.nanoTime();
                            held.clear();
                            reported = null;
                            continue;
                        }
                    } else {
                        chain.broke(current.replica(), took);
                    }
                    outcome = Outcome.STREAM_BROKEN;
                    failure = OpenAiError.upstream(502, "Tier '" + chain.served().tier().name() + "' " + broke + ".");
                    break;
                }
                JsonNode usage = chunk.get("usage");
                boolean usageOnly = usage != null && usage.isObject() && chunk.path("choices").isEmpty();
                if (usage != null && usage.isObject()) reported = Ending.reported(usage);
                boolean tokenBearing = false;
                for (JsonNode c : chunk.path("choices")) {
                    String t = chat ? c.path("delta").path("content").asText("") : c.path("text").asText("");
                    produced.append(t);
                    // A tool call's arguments are output tokens too, should the upstream send no usage.
                    for (JsonNode call : c.path("delta").path("tool_calls")) produced.append(call.path("function").path("arguments").asText(""));
                    if (c.hasNonNull("finish_reason")) finishReason = c.get("finish_reason").asText();
                    if (!t.isEmpty() || c.hasNonNull("finish_reason") || !c.path("delta").path("tool_calls").isEmpty()) tokenBearing = true;
                }
                if (usageOnly && !ctx.chat().clientWantsUsage()) continue;
                if (!started) {
                    held.add(data);
                    if (!tokenBearing && !usageOnly) continue;
                    started = true;
                    ttftMs = Duration.between(ctx.start(), clock.instant()).toMillis();
                    try {
                        for (String h : held) sink.data(h);
                    } catch (IOException clientGone) {
                        outcome = Outcome.CLIENT_DISCONNECTED;
                        break;
                    }
                    held.clear();
                    continue;
                }
                try {
                    sink.data(data);
                } catch (IOException clientGone) {
                    outcome = Outcome.CLIENT_DISCONNECTED;
                    break;
                }
                if (tokenBearing && !clock.instant().isBefore(journaledAt.plusMillis(settings.streamJournalMs()))) {
                    journaledAt = clock.instant();
                    recorder.journal(ctx, chain.served(), produced);
                }
            }
        } finally {
            close(current);
        }
        TokenUsage used = reported != null ? reported
                : new TokenUsage(tokens.count(ctx.chat().promptText()), tokens.count(produced.toString()), 0);
        if (failure != null && !started) used = TokenUsage.NONE;
        String text = produced.toString();
        Ending ending = new Ending(used, 200, outcome, reported != null ? UsageSource.UPSTREAM : UsageSource.ESTIMATED, ttftMs,
                recorder.logsContent(ctx.caller()) ? text : "");
        // A call of tools is not kept: the cache replays text.
        Optional<ChatCompletion> completion = chat && outcome == Outcome.OK && finishReason != null && !finishReason.equals("tool_calls")
                ? Optional.of(ChatCompletion.answer("chatcmpl-" + ctx.requestId(), clock.instant().getEpochSecond(),
                chain.served().model(), text, finishReason, Usage.of(used.promptTokens(), used.completionTokens())))
                : Optional.empty();
        return new Relayed(ending, Optional.ofNullable(failure), completion);
    }

    /** Ends the client's stream: the error event, or the cost as a comment, then {@code [DONE]}; nothing if the client left. */
    void finish(Relayed relayed, dev.tiergate.core.money.Usd cost, ApiResponse.EventSink sink) throws IOException {
        if (relayed.clientGone()) return;
        if (relayed.failure().isPresent()) sink.data(json.writeValueAsString(relayed.failure().get().body()));
        else sink.comment("tiergate-cost-usd " + cost.plain());
        sink.data(ServerSentEvents.DONE);
    }

    private static void close(Attempted.Opened o) {
        o.stream().close();
        o.lease().close();
    }
}
