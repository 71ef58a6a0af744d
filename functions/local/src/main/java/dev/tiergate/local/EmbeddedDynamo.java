package dev.tiergate.local;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * AWS's DynamoDB Local called in this process, with no HTTP server: the same engine as {@link LocalDynamo}, through
 * DynamoDB Local's embedded SDK v2 client. {@code tiergate up} uses it unless asked for a port: it starts ~0.1 s sooner
 * (no Jetty, no SDK HTTP pipeline, no JSON either way) and opens no port that any machine on the network could reach.
 *
 * <p>The engine serializes its calls behind its own locks, below reflective proxies and SQLite's JNI. A virtual thread
 * that blocks there can be pinned to its carrier (a native frame on its stack, or {@code synchronized} before JDK 24),
 * and on two cores two pinned threads starve the lock's holder for good: the gateway deadlocked at 257 connections,
 * the first one served on a virtual thread. So calls from virtual threads run on a few platform threads of their own
 * and the virtual thread waits on a future, which always unmounts; platform callers call straight in.
 */
public final class EmbeddedDynamo implements AutoCloseable {

    /** The file DynamoDB Local's server keeps its shared database in ({@code -sharedDb}), so a folder serves both ways. */
    static final String SHARED_DB_FILE = "shared-local-instance.db";
    /** The engine runs one write at a time anyway; a few threads let reads overlap with it. */
    static final int ENGINE_THREADS = 4;

    private final AmazonDynamoDBLocal engine;
    private final ExecutorService engineThreads = Executors.newFixedThreadPool(ENGINE_THREADS,
            Thread.ofPlatform().name("dynamodb-local-", 0).daemon(true).factory());
    private final DynamoDbClient client;

    private EmbeddedDynamo(AmazonDynamoDBLocal engine) {
        this.engine = engine;
        this.client = offVirtualThreads(engine.dynamoDbClient());
    }

    /** @param dataDir where to keep the tables between runs; empty keeps them in memory */
    public static EmbeddedDynamo start(java.util.Optional<Path> dataDir) throws java.io.IOException {
        LocalDynamo.useSimpleLogger();
        java.io.File db = null;
        if (dataDir.isPresent()) db = Files.createDirectories(dataDir.get()).resolve(SHARED_DB_FILE).toFile();
        // true: no telemetry. A local stack reports nothing to AWS, and setting the telemetry up cost ~1 s here.
        return new EmbeddedDynamo(DynamoDBEmbedded.create(db, true));
    }

    /** The client: it fails with the SDK's own exceptions, as over HTTP, whichever thread calls it. */
    public DynamoDbClient client() {
        return client;
    }

    private DynamoDbClient offVirtualThreads(DynamoDbClient engineClient) {
        return (DynamoDbClient) Proxy.newProxyInstance(DynamoDbClient.class.getClassLoader(), new Class<?>[]{DynamoDbClient.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) return objectMethod(proxy, method, args);
                    if (!Thread.currentThread().isVirtual()) return call(engineClient, method, args);
                    Future<Object> done = engineThreads.submit(() -> call(engineClient, method, args));
                    try {
                        return done.get();
                    } catch (ExecutionException e) {
                        throw e.getCause();
                    } catch (InterruptedException e) {
                        done.cancel(true);
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for DynamoDB Local", e);
                    }
                });
    }

    private static Object call(DynamoDbClient target, Method method, Object[] args) throws Exception {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception x) throw x;
            if (e.getCause() instanceof Error x) throw x;
            throw e;
        }
    }

    private Object objectMethod(Object proxy, Method method, Object[] args) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "EmbeddedDynamo.client";
        };
    }

    @Override
    public void close() {
        engine.shutdown();
        engineThreads.shutdown();
    }
}
