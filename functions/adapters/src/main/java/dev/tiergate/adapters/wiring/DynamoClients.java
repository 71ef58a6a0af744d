package dev.tiergate.adapters.wiring;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.URI;
import java.time.Duration;

/** DynamoDB clients: the default chain in AWS, or a local endpoint (DynamoDB Local, LocalStack) with dummy credentials. */
public final class DynamoClients {

    private DynamoClients() {}

    /** The client for DynamoDB Local on this machine; its credentials are placeholders it ignores. */
    public static DynamoDbClient local(URI endpoint) {
        return local(endpoint, java.util.List.of());
    }

    /** The same, with interceptors that see every call (the benchmark counts and times them). */
    public static DynamoDbClient local(URI endpoint, java.util.List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> interceptors) {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2));
        // Plain HTTP never uses TLS, so it needs no CA store: without this the client loads and parses the JDK's
        // trusted certificates when it is built (~0.1 s of a local start).
        if ("http".equalsIgnoreCase(endpoint.getScheme())) http.tlsTrustManagersProvider(() -> new javax.net.ssl.TrustManager[0]);
        return DynamoDbClient.builder()
                .overrideConfiguration(c -> interceptors.forEach(c::addExecutionInterceptor))
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(http)
                .build();
    }

    /**
     * The client for AWS, from the environment's region and credentials; the SDK itself honours
     * {@code AWS_ENDPOINT_URL_DYNAMODB} and {@code AWS_ENDPOINT_URL}.
     */
    public static DynamoDbClient fromEnvironment() {
        return DynamoDbClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }
}
