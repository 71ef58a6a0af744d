package dev.tiergate.adapters.metrics;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pushes the gateway's metrics by remote-write on a fixed interval (locally, {@code up --remote-write URL}), and on
 * demand at the end of a scheduled function. Pushes are sequential, so each series' samples stay in time order.
 */
public final class RemoteWritePusher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RemoteWritePusher.class.getName());

    private final GatewayMetrics metrics;
    private final RemoteWriteEncoder encoder;
    private final RemoteWriteClient client;
    private final Clock clock;
    private ScheduledExecutorService timer;

    public RemoteWritePusher(GatewayMetrics metrics, RemoteWriteEncoder encoder, RemoteWriteClient client, Clock clock) {
        this.metrics = metrics;
        this.encoder = encoder;
        this.client = client;
        this.clock = clock;
    }

    public synchronized RemoteWriteClient.Result pushNow() {
        List<RemoteWriteEncoder.Series> series = encoder.series(metrics.snapshot(), clock.millis());
        RemoteWriteClient.Result r = client.send(encoder.encode(series));
        if (!(r instanceof RemoteWriteClient.Result.Sent)) LOG.log(System.Logger.Level.WARNING, "remote-write push failed: " + r);
        return r;
    }

    public synchronized void start(int intervalSeconds) {
        if (timer != null) return;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "remote-write");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            try {
                pushNow();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "remote-write push failed: " + e);
            }
        }, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    }

    @Override
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
    }
}
