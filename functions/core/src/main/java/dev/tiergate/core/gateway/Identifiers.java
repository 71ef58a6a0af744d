package dev.tiergate.core.gateway;

import dev.tiergate.core.protocol.OpenAiError;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The names and ids the API takes, by the rules that made them, and path segments decoded exactly once. A path is
 * passed on still percent-encoded (API Gateway's REST events and the local server alike), split on {@code /}, and
 * each segment decoded here: {@code %XX} as UTF-8, {@code +} as itself (form encoding is for query strings), so
 * {@code ana+test} is the user {@code ana+test} and {@code team%2541} is {@code team%41}, not {@code teamA}.
 */
final class Identifiers {

    /** Teams, users and the organisation, as key creation accepts them. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");
    /** Key ids as {@code KeySecrets.newKeyId} makes them, and the bootstrap key's. */
    static final Pattern KEY_ID = Pattern.compile("key_[0-9a-f]{16}|key_bootstrap_admin");

    private Identifiers() {
    }

    static String segment(String raw) {
        if (raw.indexOf('%') < 0) return raw;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
            if (lo < 0) throw malformed(raw);
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw malformed(raw);
        }
    }

    static String keyId(String id) {
        if (!KEY_ID.matcher(id).matches()) {
            throw OpenAiError.invalidRequest("'" + printable(id) + "' is not a key id (key_ followed by 16 hex digits).", "id").failure();
        }
        return id;
    }

    static String name(String id, String what) {
        if (!NAME.matcher(id).matches()) {
            throw OpenAiError.invalidRequest("'" + printable(id) + "' is not a " + what + " name: 1 to 64 letters, digits or . _ @ + - "
                    + "(starting with a letter or digit).", "id").failure();
        }
        return id;
    }

    private static OpenAiError.Failure malformed(String raw) {
        return OpenAiError.invalidRequest("The path segment '" + printable(raw) + "' is not valid percent-encoding of UTF-8.", null).failure();
    }

    static String printable(String s) {
        String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
