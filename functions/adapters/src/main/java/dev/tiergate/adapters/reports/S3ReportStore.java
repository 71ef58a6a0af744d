package dev.tiergate.adapters.reports;

import dev.tiergate.core.ports.ReportStore;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.net.URI;
import java.time.LocalDate;

/** Reports in the reports bucket, {@code s3://<bucket>/reports/<date>/<file>}, encrypted at rest. */
public final class S3ReportStore implements ReportStore {

    private final S3Client s3;
    private final String bucket;

    public S3ReportStore(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    @Override
    public URI store(LocalDate date, String fileName, String contentType, byte[] body) {
        String key = "reports/" + date + "/" + fileName;
        s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType)
                .serverSideEncryption(ServerSideEncryption.AWS_KMS).build(), RequestBody.fromBytes(body));
        return URI.create("s3://" + bucket + "/" + key);
    }
}
