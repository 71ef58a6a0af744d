package dev.tiergate.openai;

import java.nio.charset.StandardCharsets;

/**
 * The framing of a server-sent event stream as OpenAI's streaming API uses it: each event is {@code data: <json>} and
 * a blank line, comments are {@code : <text>}, and the stream ends with {@code data: [DONE]}.
 */
public final class ServerSentEvents {

    /** The payload of the last event. */
    public static final String DONE = "[DONE]";

    private ServerSentEvents() {
    }

    public static String data(String payload) {
        return "data: " + payload + "\n\n";
    }

    /** A comment line, which clients ignore: room for metadata such as the request's cost. */
    public static String comment(String text) {
        return ": " + text + "\n\n";
    }

    public static byte[] dataBytes(String payload) {
        return data(payload).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] commentBytes(String text) {
        return comment(text).getBytes(StandardCharsets.UTF_8);
    }

    /** The payload of a {@code data:} line, trimmed; empty for any other line (comments, blank lines, other fields). */
    public static java.util.Optional<String> payload(String line) {
        return line.startsWith("data:") ? java.util.Optional.of(line.substring(5).trim()) : java.util.Optional.empty();
    }
}
