package dev.tiergate.local.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One OpenAI-compatible endpoint under load: sends a chat completion and times it, the whole answer and (for a stream)
 * the first content token. Any OpenAI-compatible URL works: tiergate, the simulator, another gateway.
 */
public final class BenchTarget {

    /** What one request measured. {@code error} is empty on success, else its kind ("http_429", "timeout", "io"). */
    public record Sample(long startNanos, long latencyNanos, long ttftNanos, String error) {
        public boolean ok() {
            return error.isEmpty();
        }
    }

    private final URI chatUrl;
    private final String key;
    private final HttpClient http;
    private final Duration timeout;

    public BenchTarget(URI baseUrl, String key, HttpClient http, Duration timeout) {
        String b = baseUrl.toString();
        this.chatUrl = URI.create((b.endsWith("/") ? b : b + "/") + "chat/completions");
        this.key = key;
        this.http = http;
        this.timeout = timeout;
    }

    public URI url() {
        return chatUrl;
    }

    public Sample send(String body, boolean stream) {
        HttpRequest.Builder b = HttpRequest.newBuilder(chatUrl).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!key.isEmpty()) b.header("Authorization", "Bearer " + key);
        long start = System.nanoTime();
        try {
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            long ttft = -1;
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    in.readAllBytes();
                    return new Sample(start, System.nanoTime() - start, -1, "http_" + r.statusCode());
                }
                if (stream) ttft = firstToken(in, start);
                in.transferTo(OutputSink.INSTANCE);
            }
            long latency = System.nanoTime() - start;
            return new Sample(start, latency, stream ? ttft : latency, "");
        } catch (HttpTimeoutException e) {
            return new Sample(start, System.nanoTime() - start, -1, "timeout");
        } catch (IOException e) {
            return new Sample(start, System.nanoTime() - start, -1, "io");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sample(start, System.nanoTime() - start, -1, "interrupted");
        }
    }

    /** Reads SSE lines until the first event that carries content; returns the time it arrived. */
    private static long firstToken(InputStream in, long start) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String l = line.toString();
                line.setLength(0);
                if (l.startsWith("data:") && l.contains("\"content\":\"") && !l.contains("\"content\":\"\"")) return System.nanoTime() - start;
                if (l.startsWith("data: [DONE]")) return System.nanoTime() - start;
            } else {
                line.append((char) c);
            }
        }
        return System.nanoTime() - start;
    }

    /** Discards bytes. */
    private static final class OutputSink extends java.io.OutputStream {
        static final OutputSink INSTANCE = new OutputSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    static String body(String model, String prompt, boolean stream, int maxTokens) {
        return "{\"model\":" + json(model) + ",\"max_tokens\":" + maxTokens + (stream ? ",\"stream\":true" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":" + json(prompt) + "}]}";
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.append('"').toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
