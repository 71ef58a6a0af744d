package dev.tiergate.adapters.sagemaker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.fleet.SageMakerEndpoint;
import dev.tiergate.core.ports.Upstream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClientBuilder;
import software.amazon.awssdk.services.sagemakerruntime.model.InternalDependencyException;
import software.amazon.awssdk.services.sagemakerruntime.model.InternalFailureException;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelNotReadyException;
import software.amazon.awssdk.services.sagemakerruntime.model.ServiceUnavailableException;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A tier served by a SageMaker real-time endpoint running vLLM's SageMaker container, called through SageMaker
 * Runtime with the function's own credentials (SigV4): {@code InvokeEndpoint} for whole answers,
 * {@code InvokeEndpointWithResponseStream} for streams, whose parts are handed on line by line as they arrive. The
 * container's {@code /invocations} takes the same JSON as vLLM's OpenAI routes and picks chat or text completion by
 * the body.
 *
 * <p>SageMaker's answers are mapped onto what the dispatcher already understands of an HTTP replica: the model's own
 * refusal ({@code ModelError} with the container's status) is that status and body, so a 400 reaches the client as
 * vLLM wrote it; {@code ModelNotReadyException}, throttling and {@code ServiceUnavailable} are retried like a 429 or
 * 503; {@code InternalFailure} like a 502; {@code InternalDependencyException} and {@code ValidationError} (an endpoint
 * that does not exist, a request SageMaker would never take) fail the tier without a retry. The SDK never retries by
 * itself: the dispatcher does, within the request's deadline.
 */
public final class SageMakerUpstream implements Upstream, AutoCloseable {

    /** SageMaker Runtime takes at most this many bytes of body. */
    static final int MAX_PAYLOAD_BYTES = 6_291_456;
    private static final Set<String> THROTTLING = Set.of("ThrottlingException", "Throttling", "TooManyRequestsException",
            "RequestLimitExceeded", "ProvisionedThroughputExceededException");

    private final SageMakerRuntimeAsyncClient client;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * Where SageMaker Runtime is and who calls it. In AWS both stay empty: the SDK reads the region, the credentials
     * and any {@code AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME} from the environment.
     *
     * @param endpointOverride a stand-in's URL (local runs and tests)
     * @param region           the region to sign for; the SDK's own lookup when empty
     * @param localCredentials a fixed key pair for a stand-in that does not check signatures
     */
    public record Access(Optional<URI> endpointOverride, Optional<String> region, boolean localCredentials) {
        public static Access fromEnvironment() {
            return new Access(Optional.empty(), Optional.empty(), false);
        }

        public static Access standIn(URI url) {
            return new Access(Optional.of(url), Optional.of("us-east-1"), true);
        }
    }

    public SageMakerUpstream(Access access, Duration connectTimeout, Clock clock) {
        this.clock = clock;
        SageMakerRuntimeAsyncClientBuilder b = SageMakerRuntimeAsyncClient.builder()
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(1024)
                        .connectionTimeout(connectTimeout)
                        // A long answer's parts can be far apart; the request's deadline bounds the stream instead.
                        .readTimeout(Duration.ZERO)
                        .writeTimeout(Duration.ofSeconds(30)))
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()));
        access.endpointOverride().ifPresent(b::endpointOverride);
        access.region().ifPresent(r -> b.region(Region.of(r)));
        if (access.localCredentials()) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTIERGATELOCAL", "tiergate-local-secret")));
        }
        this.client = b.build();
    }

    @Override
    public Reply send(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException {
        SageMakerEndpoint endpoint = endpoint(url);
        Optional<Reply> refused = refuseUpfront(endpoint, url, jsonBody);
        if (refused.isPresent()) return refused.get();
        Duration left = remaining(deadline);
        InvokeEndpointRequest request = InvokeEndpointRequest.builder().endpointName(endpoint.name())
                .contentType("application/json").accept("application/json").body(SdkBytes.fromByteArrayUnsafe(jsonBody))
                .overrideConfiguration(o -> o.apiCallTimeout(left)).build();
        try {
            InvokeEndpointResponse response = client.invokeEndpoint(request).get(left.toMillis() + 1000, TimeUnit.MILLISECONDS);
            return new Reply(200, response.body().asByteArrayUnsafe());
        } catch (ExecutionException | CompletionException e) {
            return refusal(endpoint, e.getCause());
        } catch (TimeoutException e) {
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from SageMaker endpoint " + endpoint.name() + " in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(UpstreamException.Kind.RESET, "interrupted while calling " + endpoint.name(), e);
        }
    }

    @Override
    public Stream openStream(URI url, byte[] jsonBody, Instant firstByteDeadline, Instant deadline) throws UpstreamException {
        SageMakerEndpoint endpoint = endpoint(url);
        Optional<Reply> refused = refuseUpfront(endpoint, url, jsonBody);
        if (refused.isPresent()) return SageMakerStream.refused(refused.get());
        Duration firstByte = remaining(firstByteDeadline);
        Duration whole = remaining(deadline);
        InvokeEndpointWithResponseStreamRequest request = InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName(endpoint.name()).contentType("application/json").accept("text/event-stream")
                .body(SdkBytes.fromByteArrayUnsafe(jsonBody)).overrideConfiguration(o -> o.apiCallTimeout(whole)).build();
        SageMakerStream stream = new SageMakerStream(endpoint.name(), deadline, firstByte, clock);
        client.invokeEndpointWithResponseStream(request, stream.handler());
        try {
            Throwable failed = stream.awaitOpen(firstByteDeadline);
            if (failed == null) return stream;
            Reply r = refusal(endpoint, failed);
            stream.close();
            return SageMakerStream.refused(r);
        } catch (UpstreamException e) {
            stream.close();
            throw e;
        }
    }

    private Optional<Reply> refuseUpfront(SageMakerEndpoint endpoint, URI url, byte[] body) {
        String path = url.getPath() == null ? "" : url.getPath();
        if (!path.endsWith("/chat/completions") && !path.endsWith("/completions")) {
            return Optional.of(new Reply(400, error(400, "SageMaker endpoint '" + endpoint.name()
                    + "' serves chat and text completions only: vLLM's /invocations takes no other request.")));
        }
        if (body.length > MAX_PAYLOAD_BYTES) {
            return Optional.of(new Reply(400, error(400, "The request is " + body.length + " bytes; a SageMaker tier takes at most "
                    + MAX_PAYLOAD_BYTES + ".")));
        }
        return Optional.empty();
    }

    /** What SageMaker's refusal means to the dispatcher; a call that never got an answer throws. */
    Reply refusal(SageMakerEndpoint endpoint, Throwable t) throws UpstreamException {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        String name = endpoint.name();
        return switch (t) {
            case ModelErrorException m -> {
                int original = m.originalStatusCode() == null ? 0 : m.originalStatusCode();
                int status = original >= 400 && original <= 599 ? original : 502;
                yield new Reply(status, modelBody(status, m.originalMessage(), m.awsErrorDetails() == null ? m.getMessage()
                        : m.awsErrorDetails().errorMessage()));
            }
            case ModelNotReadyException r -> new Reply(429, error(503, "SageMaker endpoint '" + name + "' is not ready: " + message(r)));
            case ServiceUnavailableException u -> new Reply(503, error(503, "SageMaker is unavailable for '" + name + "': " + message(u)));
            case InternalFailureException f -> new Reply(502, error(502, "SageMaker failed on '" + name + "': " + message(f)));
            case InternalDependencyException d -> new Reply(500, error(500, "SageMaker failed on '" + name + "': " + message(d)));
            case ValidationErrorException v -> new Reply(500, error(500, "SageMaker refused the call to '" + name + "': " + message(v)));
            case AwsServiceException s when s.awsErrorDetails() != null && THROTTLING.contains(s.awsErrorDetails().errorCode()) ->
                    new Reply(429, error(503, "SageMaker throttled calls to '" + name + "'"));
            case AwsServiceException s -> new Reply(s.statusCode() >= 500 ? s.statusCode() : 500,
                    error(500, "SageMaker refused the call to '" + name + "' (HTTP " + s.statusCode() + "): " + message(s)));
            case ApiCallTimeoutException e -> throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from SageMaker endpoint " + name + " in time", e);
            case ApiCallAttemptTimeoutException e -> throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from SageMaker endpoint " + name + " in time", e);
            default -> throw transport(name, t);
        };
    }

    private static UpstreamException transport(String name, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) {
                return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to SageMaker Runtime for " + name, t);
            }
            if (c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) {
                return new UpstreamException(UpstreamException.Kind.TIMEOUT, "no answer from SageMaker endpoint " + name + " in time", t);
            }
        }
        return new UpstreamException(UpstreamException.Kind.RESET, "the call to SageMaker endpoint " + name + " failed: " + t.getMessage(), t);
    }

    private static String message(AwsServiceException e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null ? e.awsErrorDetails().errorMessage() : e.getMessage();
    }

    /** The container's own error body when it is JSON (vLLM's is the OpenAI shape), else an OpenAI error around it. */
    private byte[] modelBody(int status, String original, String fallback) {
        if (original != null) {
            try {
                JsonNode n = json.readTree(original);
                if (n != null && n.isObject()) return original.getBytes(StandardCharsets.UTF_8);
            } catch (IOException notJson) {
                // said in words below
            }
        }
        return error(status, "The model answered HTTP " + status + ": " + (original != null ? original : fallback));
    }

    private byte[] error(int status, String message) {
        ObjectNode root = json.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", status < 500 ? "invalid_request_error" : "server_error");
        e.putNull("param");
        e.put("code", status);
        try {
            return json.writeValueAsBytes(root);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static SageMakerEndpoint endpoint(URI url) {
        return SageMakerEndpoint.at(url).orElseThrow(() -> new IllegalArgumentException(url + " is not a SageMaker address"));
    }

    private Duration remaining(Instant deadline) throws UpstreamException {
        Duration d = Duration.between(clock.instant(), deadline);
        if (d.isNegative() || d.isZero()) throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "deadline passed before the call", null);
        return d;
    }

    @Override
    public void close() {
        client.close();
    }
}
