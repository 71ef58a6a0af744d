package dev.tiergate.core.gateway;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class LivenessTest {

    @Test
    void aStoreThatAnswersIsHealthyAndIsReadOncePerFreshPeriod() {
        AtomicInteger reads = new AtomicInteger();
        Liveness l = new Liveness(reads::incrementAndGet, Clock.systemUTC(), Duration.ofSeconds(2), Duration.ofMinutes(1));
        for (int i = 0; i < 50; i++) assertThat(l.check()).isInstanceOf(Liveness.Status.Up.class);
        assertThat(reads).hasValue(1);
    }

    @Test
    void aWedgedStoreIsReportedWithinTheDeadlineAndStaysReportedWithoutPilingUpProbes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger probes = new AtomicInteger();
        Liveness l = new Liveness(() -> {
            probes.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, Clock.systemUTC(), Duration.ofMillis(200), Duration.ZERO);
        long t0 = System.nanoTime();
        Liveness.Status s = l.check();
        assertThat(s).isInstanceOfSatisfying(Liveness.Status.Down.class, d -> assertThat(d.reason()).contains("has not answered"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        // A second check waits on the same stuck probe instead of starting another.
        assertThat(l.check()).isInstanceOf(Liveness.Status.Down.class);
        assertThat(probes).hasValue(1);
        release.countDown();
        Thread.sleep(50);
        assertThat(l.check()).isInstanceOf(Liveness.Status.Up.class);
    }

    @Test
    void aFailingStoreIsUnhealthyWithItsReason() {
        Liveness l = new Liveness(() -> {
            throw new IllegalStateException("table gone");
        }, Clock.systemUTC(), Duration.ofSeconds(2), Duration.ZERO);
        assertThat(l.check()).isInstanceOfSatisfying(Liveness.Status.Down.class, d -> assertThat(d.reason()).contains("table gone"));
    }
}
