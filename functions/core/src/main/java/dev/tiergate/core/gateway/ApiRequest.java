package dev.tiergate.core.gateway;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An HTTP request as the gateway sees it, whichever runtime received it (the local server, API Gateway through the
 * Lambda adapter). Header names are case-insensitive.
 */
public record ApiRequest(String method, String path, Map<String, String> query, Map<String, String> headers, byte[] body) {

    public ApiRequest {
        method = method.toUpperCase(Locale.ROOT);
        query = Map.copyOf(query);
        TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(headers);
        headers = java.util.Collections.unmodifiableMap(h);
        body = body == null ? new byte[0] : body;
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }
}
