package dev.tiergate.core.ports;

import java.net.URI;
import java.time.LocalDate;

/** Where report artifacts go: S3 in AWS, the local stack's data folder locally. */
public interface ReportStore {
    /** Stores one artifact (overwriting a re-run of the same day) and says where it is. */
    URI store(LocalDate date, String fileName, String contentType, byte[] body);
}
