package dev.tiergate.core.ports;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;

/** An OpenAI-compatible server (vLLM or hosted) reached over HTTP. */
public interface Upstream {

    /** Sends a JSON request and reads the whole answer before {@code deadline}. */
    Reply send(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException;

    /**
     * Sends a streaming request and returns once the status line and headers have arrived, which must be before
     * {@code firstByteDeadline}. A non-200 status comes with its whole body; a 200 comes with the SSE lines still to be
     * read, and the body is cut when {@code deadline} (the request's own) passes.
     */
    Stream openStream(URI url, byte[] jsonBody, Instant firstByteDeadline, Instant deadline) throws UpstreamException;

    /** @param retryAfterMs the upstream's Retry-After, in milliseconds; -1 when it sent none */
    record Reply(int status, byte[] body, long retryAfterMs) {
        public Reply(int status, byte[] body) {
            this(status, body, -1);
        }
    }

    interface Stream extends AutoCloseable {
        int status();

        /** The body of a non-200 answer. */
        byte[] errorBody();

        /** The upstream's Retry-After in milliseconds; -1 when it sent none. */
        default long retryAfterMs() {
            return -1;
        }

        /**
         * The next line of a 200 answer's body as it arrives, or null at its end.
         *
         * @throws IOException when the connection breaks or the deadline passes mid-answer
         */
        String nextLine() throws IOException;

        @Override
        void close();
    }

    /** The upstream could not be reached or did not answer in time. */
    final class UpstreamException extends Exception {
        public enum Kind { CONNECT, TIMEOUT, RESET }

        private final Kind kind;

        public UpstreamException(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }
}
