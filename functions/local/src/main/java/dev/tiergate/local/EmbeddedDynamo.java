package dev.tiergate.local;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * AWS's DynamoDB Local called in this process, with no HTTP server: the same engine as {@link LocalDynamo}, through
 * DynamoDB Local's embedded SDK v2 client. {@code tiergate up} uses it unless asked for a port: it starts ~0.1 s sooner
 * (no Jetty, no SDK HTTP pipeline, no JSON either way) and opens no port that any machine on the network could reach.
 */
public final class EmbeddedDynamo implements AutoCloseable {

    /** The file DynamoDB Local's server keeps its shared database in ({@code -sharedDb}), so a folder serves both ways. */
    static final String SHARED_DB_FILE = "shared-local-instance.db";

    private final AmazonDynamoDBLocal engine;
    private final DynamoDbClient client;

    private EmbeddedDynamo(AmazonDynamoDBLocal engine) {
        this.engine = engine;
        this.client = engine.dynamoDbClient();
    }

    /** @param dataDir where to keep the tables between runs; empty keeps them in memory */
    public static EmbeddedDynamo start(java.util.Optional<Path> dataDir) throws java.io.IOException {
        LocalDynamo.useSimpleLogger();
        java.io.File db = null;
        if (dataDir.isPresent()) db = Files.createDirectories(dataDir.get()).resolve(SHARED_DB_FILE).toFile();
        // true: no telemetry. A local stack reports nothing to AWS, and setting the telemetry up cost ~1 s here.
        return new EmbeddedDynamo(DynamoDBEmbedded.create(db, true));
    }

    /** The client: calls run in the caller's thread and fail with the SDK's own exceptions, as over HTTP. */
    public DynamoDbClient client() {
        return client;
    }

    @Override
    public void close() {
        engine.shutdown();
    }
}
