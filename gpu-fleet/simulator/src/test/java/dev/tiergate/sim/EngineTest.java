package dev.tiergate.sim;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class EngineTest {

    @Test
    void requestsBeyondMaxNumSeqsWaitInsteadOfBeingRefused() throws Exception {
        Engine engine = new Engine(ReplicaSettings.builder("m").maxNumSeqs(1).build());
        Engine.Slot first = engine.admit(10, 10);
        CountDownLatch admitted = new CountDownLatch(1);
        Thread second = Thread.ofVirtual().start(() -> {
            try (Engine.Slot s = engine.admit(10, 10)) {
                admitted.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (engine.waiting() == 0) Thread.onSpinWait();
        assertThat(engine.running()).isEqualTo(1);
        assertThat(admitted.await(50, TimeUnit.MILLISECONDS)).isFalse();
        first.close();
        assertThat(admitted.await(5, TimeUnit.SECONDS)).isTrue();
        second.join();
        assertThat(engine.running()).isZero();
        assertThat(engine.waiting()).isZero();
        // One running and one waiting at once, never more.
        assertThat(engine.mostAtOnce()).isEqualTo(2);
    }

    @Test
    void prefillCostsTimePerUncachedTokenScaledByTheTimeScale() throws Exception {
        Engine engine = new Engine(ReplicaSettings.builder("m").prefillMicrosPerToken(1000).timeScale(1).build());
        long start = System.nanoTime();
        engine.prefill(60);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(60);

        Engine scaled = new Engine(ReplicaSettings.builder("m").prefillMicrosPerToken(1000).timeScale(2).build());
        start = System.nanoTime();
        scaled.prefill(30);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(60);
    }

    @Test
    void decodeCostsTheInterTokenLatencyPerToken() throws Exception {
        Engine engine = new Engine(ReplicaSettings.builder("m").interTokenMicros(5000).build());
        long start = System.nanoTime();
        engine.decode(12);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(60);
        assertThat(engine.interTokenSeconds()).isEqualTo(0.005);
    }

    @Test
    void kvCacheUsageFollowsTheBlocksOfRunningRequests() throws Exception {
        Engine engine = new Engine(ReplicaSettings.builder("m").blockSize(16).kvCacheBlocks(10).build());
        try (Engine.Slot s = engine.admit(64, 16)) {
            assertThat(engine.kvCacheUsage()).isEqualTo(0.5);
        }
        assertThat(engine.kvCacheUsage()).isZero();
    }
}
