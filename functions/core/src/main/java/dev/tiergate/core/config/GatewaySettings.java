package dev.tiergate.core.config;

/**
 * Limits of the request path.
 *
 * @param maxBodyBytes     larger request bodies get 413
 * @param requestTimeoutMs the overall deadline of one request; kept below API Gateway's 29 s integration limit
 */
public record GatewaySettings(int maxBodyBytes, long requestTimeoutMs) {
    public static final GatewaySettings DEFAULT = new GatewaySettings(1_048_576, 25_000);
}
