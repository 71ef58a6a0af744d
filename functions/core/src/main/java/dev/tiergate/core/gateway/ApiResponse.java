package dev.tiergate.core.gateway;

import java.io.IOException;
import java.util.Map;

/** What the gateway answers: a whole body, or a stream of server-sent events written as they come. */
public sealed interface ApiResponse {

    int status();

    Map<String, String> headers();

    record Whole(int status, Map<String, String> headers, byte[] body) implements ApiResponse {
        public Whole {
            headers = Map.copyOf(headers);
        }
    }

    record EventStream(int status, Map<String, String> headers, StreamBody body) implements ApiResponse {
        public EventStream {
            headers = Map.copyOf(headers);
        }
    }

    /** Writes the events of a streamed answer; called once, after the status and headers are sent. */
    @FunctionalInterface
    interface StreamBody {
        void writeTo(EventSink sink) throws IOException;
    }

    /** Where streamed events go: each is sent and flushed at once, so the client sees it without delay. */
    interface EventSink {
        /** Sends {@code data: <data>} and a blank line. */
        void data(String data) throws IOException;

        /** Sends an SSE comment line, which clients ignore; used for trailing metadata. */
        void comment(String text) throws IOException;
    }
}
