package dev.tiergate.core.semantic;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hash buckets: the same everywhere, close vectors together far more often than distant ones. */
class LshBucketsTest {

    private static final int DIMS = 384;
    private final Random random = new Random(42);

    private float[] unit() {
        float[] v = new float[DIMS];
        for (int i = 0; i < DIMS; i++) v[i] = (float) random.nextGaussian();
        return normalized(v);
    }

    private static float[] normalized(float[] v) {
        double n = 0;
        for (float x : v) n += x * x;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / Math.sqrt(n));
        return out;
    }

    /** A unit vector at about the given cosine from {@code v}. */
    private float[] near(float[] v, double cosine) {
        float[] noise = unit();
        double dot = LshBuckets.cosine(v, noise);
        float[] orth = new float[DIMS];
        for (int i = 0; i < DIMS; i++) orth[i] = (float) (noise[i] - dot * v[i]);
        orth = normalized(orth);
        double s = Math.sqrt(1 - cosine * cosine);
        float[] out = new float[DIMS];
        for (int i = 0; i < DIMS; i++) out[i] = (float) (cosine * v[i] + s * orth[i]);
        return out;
    }

    @Test
    void everyInstanceComputesTheSameBucketsOneReadAndTwoWrittenPerBand() {
        float[] v = unit();
        List<String> read = new LshBuckets(DIMS).of(v);
        assertThat(new LshBuckets(DIMS).of(v)).isEqualTo(read);
        assertThat(read).hasSize(LshBuckets.BANDS).allMatch(b -> b.matches(LshBuckets.VERSION + ":\\d:[01]{" + LshBuckets.BITS + "}"));
        List<String> written = new LshBuckets(DIMS).storedUnder(v);
        assertThat(written).hasSize(2 * LshBuckets.BANDS).containsAll(read).doesNotHaveDuplicates();
    }

    @Test
    void closeVectorsShareABucketFarMoreOftenThanUnrelatedOnes() {
        LshBuckets lsh = new LshBuckets(DIMS);
        int close = 0;
        int unrelated = 0;
        for (int i = 0; i < 500; i++) {
            float[] v = unit();
            List<String> stored = lsh.storedUnder(v);
            if (lsh.of(near(v, 0.9)).stream().anyMatch(stored::contains)) close++;
            if (lsh.of(unit()).stream().anyMatch(stored::contains)) unrelated++;
        }
        // Unrelated (orthogonal on average): one chance in 32 per bucket, four written, one read per band: about 12%.
        assertThat(close).isGreaterThan(400);
        assertThat(unrelated).isLessThan(100);
    }

    @Test
    void aVectorOfAnotherLengthIsRefused() {
        assertThatThrownBy(() -> new LshBuckets(DIMS).of(new float[3])).isInstanceOf(IllegalArgumentException.class);
    }
}
