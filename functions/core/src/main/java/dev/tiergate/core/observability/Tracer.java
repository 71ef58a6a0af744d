package dev.tiergate.core.observability;

/**
 * Timed sections of one request (routing, budget, dispatch, the DynamoDB calls), sent to a tracing backend. Spans nest
 * by the order they are opened and closed on one thread.
 */
public interface Tracer {

    /** Opens a span; close it (try-with-resources) when the section ends. */
    Span span(String name);

    interface Span extends AutoCloseable {
        /** Marks the section as failed; the span still needs closing. */
        void fail(Throwable cause);

        /** A searchable key/value on the span (tier, team), never a secret or content. */
        void annotate(String key, String value);

        @Override
        void close();
    }

    Span NO_SPAN = new Span() {
        @Override
        public void fail(Throwable cause) {
        }

        @Override
        public void annotate(String key, String value) {
        }

        @Override
        public void close() {
        }
    };

    Tracer NONE = name -> NO_SPAN;
}
