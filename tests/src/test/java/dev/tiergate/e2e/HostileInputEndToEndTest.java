package dev.tiergate.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a careless or hostile client sends, over raw sockets to the local stack (the OpenAI SDKs never send these):
 * each gets a clear error in the OpenAI shape, and nothing is dispatched or charged.
 */
class HostileInputEndToEndTest {

    private static StackFixture fx;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(0);
        key = fx.createKey("hostile", "mallory").get("key");
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    /** Sends one request as bytes and returns the whole answer (the request asks the server to close). */
    private static String exchange(String authorization, String contentType, String body) throws Exception {
        URI u = fx.url();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + b.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        req.writeBytes("Authorization: ".getBytes(StandardCharsets.ISO_8859_1));
        req.writeBytes(authorization.getBytes(StandardCharsets.ISO_8859_1));
        req.writeBytes("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        req.writeBytes(b);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(req.toByteArray());
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String CHAT = "{\"model\":\"small\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aBodyThatIsNotExactlyOneJsonObjectIsInvalidJson() throws Exception {
        for (String body : new String[]{CHAT + " xyz", CHAT + CHAT, CHAT.replace("\"max_tokens\":4,", "\"max_tokens\":4,\"max_tokens\":4000,")}) {
            String answer = exchange("Bearer " + key, "application/json", body);
            assertThat(answer).as(body).startsWith("HTTP/1.1 400").contains("\"code\":\"invalid_json\"");
        }
        assertThat(fx.usage("hostile")).isEmpty();
    }

    @Test
    void aMediaTypeThatOnlyStartsLikeJsonIsUnsupported() throws Exception {
        assertThat(exchange("Bearer " + key, "application/jsonx", CHAT)).startsWith("HTTP/1.1 415").contains("unsupported_media_type");
        assertThat(exchange("Bearer " + key, "Application/JSON; charset=utf-8", CHAT)).startsWith("HTTP/1.1 200");
    }

    @Test
    void aHeaderWithAControlByteIsRefused() throws Exception {
        // HttpCore turns control bytes into spaces, which a trim then dropped: the key worked with a NUL after it.
        for (String junk : new String[]{"\u0000", "\u0001", "\u007f"}) {
            String answer = exchange("Bearer " + key + junk, "application/json", CHAT);
            assertThat(answer).as("byte %d", (int) junk.charAt(0)).startsWith("HTTP/1.1 400").contains("\"code\":\"malformed_http\"");
        }
        assertThat(exchange("Bearer " + key + " \t", "application/json", CHAT)).startsWith("HTTP/1.1 200");
    }

    @Test
    void nullMeansUnsetAndOutOfRangeSamplingIsRefusedBeforeDispatch() throws Exception {
        assertThat(exchange("Bearer " + key, "application/json", CHAT.replace("{", "{\"n\":null,"))).startsWith("HTTP/1.1 200");
        for (Map.Entry<String, String> bad : Map.of("temperature", "\"hot\"", "top_p", "\"x\"", "frequency_penalty", "9").entrySet()) {
            String answer = exchange("Bearer " + key, "application/json", CHAT.replace("{", "{\"" + bad.getKey() + "\":" + bad.getValue() + ","));
            assertThat(answer).startsWith("HTTP/1.1 400").contains("\"param\":\"" + bad.getKey() + "\"");
        }
    }
}
