package dev.tiergate.adapters.metrics;

import org.xerial.snappy.Snappy;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends remote-write 1.0 requests (contracts E.2, E.4): snappy block compression, the four reserved headers, retries
 * with exponential backoff and jitter on 5xx, 429 (honouring Retry-After) and network errors only; any other 4xx drops
 * the batch, since sending it again would fail the same way. With a region it signs with SigV4 for Amazon Managed
 * Prometheus (service {@code aps}) over the exact compressed bytes sent.
 */
public final class RemoteWriteClient {

    /** How a push ended. */
    public sealed interface Result {
        record Sent(int status, int attempts) implements Result {
        }

        record Dropped(int status, String body) implements Result {
        }

        record GaveUp(String reason, int attempts) implements Result {
        }
    }

    /** SigV4 for Amazon Managed Prometheus. */
    public record Signing(String region, AwsCredentialsProvider credentials) {
    }

    private static final String USER_AGENT = "tiergate/0.1 (remote-write 1.0)";

    private final URI url;
    private final Optional<Signing> signing;
    private final HttpClient http;
    private final int maxAttempts;
    private final Duration minBackoff;
    private final Duration maxBackoff;

    public RemoteWriteClient(URI url, Optional<Signing> signing, int maxAttempts, Duration minBackoff, Duration maxBackoff) {
        this.url = url;
        this.signing = signing;
        this.maxAttempts = maxAttempts;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public Result send(byte[] writeRequest) {
        byte[] body;
        try {
            body = Snappy.compress(writeRequest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String lastReason = "";
        for (int attempt = 1; ; attempt++) {
            long waitMs;
            try {
                HttpResponse<String> r = http.send(request(body, attempt), HttpResponse.BodyHandlers.ofString());
                int s = r.statusCode();
                if (s >= 200 && s < 300) return new Result.Sent(s, attempt);
                if (s != 429 && s < 500) return new Result.Dropped(s, r.body());
                lastReason = "HTTP " + s + ": " + r.body();
                waitMs = r.headers().firstValue("Retry-After").flatMap(RemoteWriteClient::seconds).map(x -> x * 1000)
                        .orElse(backoff(attempt));
            } catch (IOException e) {
                lastReason = e.toString();
                waitMs = backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result.GaveUp("interrupted", attempt);
            }
            if (attempt >= maxAttempts) return new Result.GaveUp(lastReason, attempt);
            try {
                Thread.sleep(Math.min(waitMs, maxBackoff.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result.GaveUp("interrupted", attempt);
            }
        }
    }

    private static Optional<Long> seconds(String v) {
        try {
            return Optional.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private long backoff(int attempt) {
        long cap = Math.min(maxBackoff.toMillis(), minBackoff.toMillis() << Math.min(attempt - 1, 20));
        return minBackoff.toMillis() + ThreadLocalRandom.current().nextLong(Math.max(1, cap - minBackoff.toMillis() + 1));
    }

    private HttpRequest request(byte[] body, int attempt) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("Content-Encoding", "snappy");
        headers.put("Content-Type", "application/x-protobuf");
        headers.put("X-Prometheus-Remote-Write-Version", "0.1.0");
        if (attempt > 1) headers.put("Retry-Attempt", Integer.toString(attempt - 1));
        if (signing.isPresent()) headers = sign(url, headers, body, signing.get());
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("User-Agent", USER_AGENT);
        headers.forEach((k, v) -> {
            if (!k.equalsIgnoreCase("host") && !k.equalsIgnoreCase("content-length")) b.header(k, v);
        });
        return b.build();
    }

    /** The headers plus SigV4's (Authorization, X-Amz-Date, X-Amz-Security-Token for temporary credentials). */
    static Map<String, String> sign(URI url, Map<String, String> headers, byte[] body, Signing signing) {
        SdkHttpRequest.Builder req = SdkHttpRequest.builder().uri(url).method(SdkHttpMethod.POST);
        headers.forEach(req::putHeader);
        AwsCredentialsIdentity identity = signing.credentials().resolveCredentials();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(identity).request(req.build())
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "aps")
                .putProperty(AwsV4HttpSigner.REGION_NAME, signing.region()));
        Map<String, String> out = new java.util.LinkedHashMap<>();
        signed.request().headers().forEach((k, v) -> out.put(k, String.join(",", v)));
        return out;
    }
}
