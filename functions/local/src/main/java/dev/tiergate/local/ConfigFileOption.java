package dev.tiergate.local;

import dev.tiergate.core.config.TiergateConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --config} option the commands that read {@code tiergate.yaml} share (a picocli mixin). */
final class ConfigFileOption {

    @Option(names = "--config", defaultValue = "tiergate.yaml", description = "Config file (default: ${DEFAULT-VALUE}).")
    Path file;

    /** The config; a bad file is a usage error that names the file, line, key and value. */
    TiergateConfig load() {
        return TiergateCli.loadConfig(file);
    }
}
