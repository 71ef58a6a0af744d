package dev.tiergate.core.gateway.chat;

import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.auth.KeySecrets;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.Responses;
import dev.tiergate.core.ports.IdempotencyStore;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.openai.ServerSentEvents;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Requests sent with an {@code Idempotency-Key}: the first runs and its answer is kept for 24 hours, per API key; a
 * retry with the same body gets that answer back and is not charged again. A stream is kept only if it reached its
 * end without an error event, so a retry after a broken stream runs again.
 */
public final class IdempotentRequests {

    static final String HEADER = "Idempotency-Key";
    private static final Duration KEPT = Duration.ofHours(24);
    private static final String STREAM_TYPE = "text/event-stream; charset=utf-8";

    private final IdempotencyStore store;
    private final Clock clock;
    private final Responses responses;

    public IdempotentRequests(IdempotencyStore store, Clock clock, Responses responses) {
        this.store = store;
        this.clock = clock;
        this.responses = responses;
    }

    ApiResponse handle(ApiKey caller, Optional<String> header, byte[] body, String requestId, Supplier<ApiResponse> serve) {
        if (header.isEmpty()) return serve.get();
        String key = header.get().trim();
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw OpenAiError.invalidRequest("The Idempotency-Key header must be 1 to 255 visible ASCII characters.", HEADER).failure();
        }
        String hash = KeySecrets.hash(new String(body, StandardCharsets.UTF_8));
        return switch (store.begin(caller.id(), key, hash, clock.instant().plus(KEPT))) {
            case IdempotencyStore.Replay r -> responses.raw(r.status(), r.body(), Map.of(Responses.REQUEST_ID, requestId,
                    "x-tiergate-idempotent-replay", "true", "content-type", r.contentType()));
            case IdempotencyStore.InProgress p -> throw new OpenAiError(409, "invalid_request_error", "A request with this "
                    + "Idempotency-Key is still in progress; retry when it has finished.", Optional.of(HEADER),
                    Optional.of("idempotency_in_progress")).failure();
            case IdempotencyStore.Mismatch m -> throw new OpenAiError(422, "invalid_request_error", "This Idempotency-Key "
                    + "was used for a different request body.", Optional.of(HEADER), Optional.of("idempotency_key_reused")).failure();
            case IdempotencyStore.Started s -> {
                ApiResponse response;
                try {
                    response = serve.get();
                } catch (RuntimeException e) {
                    store.abandon(caller.id(), key);
                    throw e;
                }
                yield kept(caller, key, response);
            }
        };
    }

    private ApiResponse kept(ApiKey caller, String key, ApiResponse response) {
        return switch (response) {
            case ApiResponse.Whole w -> {
                if (w.status() == 200) store.complete(caller.id(), key, 200, "application/json", w.body());
                else store.abandon(caller.id(), key);
                yield w;
            }
            case ApiResponse.EventStream s -> new ApiResponse.EventStream(s.status(), s.headers(), sink -> {
                Recording recording = new Recording(sink);
                try {
                    s.body().writeTo(recording);
                } finally {
                    if (recording.complete()) {
                        store.complete(caller.id(), key, 200, STREAM_TYPE, recording.events.toString().getBytes(StandardCharsets.UTF_8));
                    } else {
                        store.abandon(caller.id(), key);
                    }
                }
            });
        };
    }

    /** Passes events on and keeps a copy; the stream is complete when it ended with {@code [DONE]} and no error. */
    private static final class Recording implements ApiResponse.EventSink {
        private final ApiResponse.EventSink sink;
        private final StringBuilder events = new StringBuilder();
        private boolean failed;
        private boolean done;

        Recording(ApiResponse.EventSink sink) {
            this.sink = sink;
        }

        @Override
        public void data(String data) throws IOException {
            if (data.startsWith("{\"error\"")) failed = true;
            events.append(ServerSentEvents.data(data));
            try {
                sink.data(data);
            } catch (IOException clientGone) {
                failed = true;
                throw clientGone;
            }
            if (data.equals(ServerSentEvents.DONE)) done = true;
        }

        @Override
        public void comment(String text) throws IOException {
            events.append(ServerSentEvents.comment(text));
            sink.comment(text);
        }

        boolean complete() {
            return done && !failed;
        }
    }
}
