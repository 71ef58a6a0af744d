package dev.tiergate.sim;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The AWS event-stream framing SageMaker Runtime streams answers in: a prelude (total length, headers length, CRC32
 * of those eight bytes), the headers (name length, name, type 7 = string with a two-byte length), the payload, and a
 * CRC32 of everything before it. Written here from the format rather than borrowed from the SDK, so the SDK's own
 * decoder is what checks it.
 */
public final class EventStreamFrames {

    private static final byte STRING = 7;

    private EventStreamFrames() {
    }

    /** A SageMaker {@code PayloadPart} event carrying these bytes of the container's answer. */
    public static byte[] payloadPart(byte[] bytes) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(":event-type", "PayloadPart");
        h.put(":content-type", "application/octet-stream");
        h.put(":message-type", "event");
        return encode(h, bytes);
    }

    /** A modeled in-stream error, such as {@code ModelStreamError} or {@code InternalStreamFailure}. */
    public static byte[] exception(String type, byte[] jsonBody) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(":exception-type", type);
        h.put(":content-type", "application/json");
        h.put(":message-type", "exception");
        return encode(h, jsonBody);
    }

    public static byte[] encode(Map<String, String> headers, byte[] payload) {
        ByteArrayOutputStream hb = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
            if (name.length > 127 || value.length > 0xFFFF) throw new IllegalArgumentException("header too long: " + e.getKey());
            hb.write(name.length);
            hb.writeBytes(name);
            hb.write(STRING);
            hb.write((value.length >>> 8) & 0xFF);
            hb.write(value.length & 0xFF);
            hb.writeBytes(value);
        }
        byte[] h = hb.toByteArray();
        int total = 12 + h.length + payload.length + 4;
        ByteBuffer buf = ByteBuffer.allocate(total);
        buf.putInt(total).putInt(h.length);
        buf.putInt((int) crc(buf.array(), 0, 8));
        buf.put(h).put(payload);
        buf.putInt((int) crc(buf.array(), 0, total - 4));
        return buf.array();
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }
}
