package dev.tiergate.adapters.reports;

import dev.tiergate.core.ports.ReportStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;

/** Reports under a local folder, {@code <root>/reports/<date>/<file>}; written to a temporary file and moved, so a reader never sees half a report. */
public final class FileReportStore implements ReportStore {

    private final Path root;

    public FileReportStore(Path root) {
        this.root = root;
    }

    @Override
    public URI store(LocalDate date, String fileName, String contentType, byte[] body) {
        try {
            Path dir = root.resolve("reports").resolve(date.toString());
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, fileName, ".tmp");
            Files.write(tmp, body);
            Path target = dir.resolve(fileName);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target.toAbsolutePath().toUri();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the report to " + root, e);
        }
    }
}
