package dev.tiergate.core.config;

/** A configuration error, with the file, line, key path and offending value already in the message. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
