package dev.tiergate.adapters.dynamodb;

import com.amazonaws.services.dynamodbv2.local.embedded.DynamoDBEmbedded;
import com.amazonaws.services.dynamodbv2.local.shared.access.AmazonDynamoDBLocal;
import dev.tiergate.core.ports.SemanticCacheStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The semantic cache's table on DynamoDB Local: what a lookup reads, what it never reads, and the team's bound. */
class DynamoSemanticCacheTest {

    private static final List<String> BUCKETS = List.of("v1:0:10101", "v1:1:00110");
    private static final Duration HOUR = Duration.ofHours(1);

    private AmazonDynamoDBLocal local;
    private DynamoSemanticCache store;
    private final dev.tiergate.fixtures.ManualClock clock = new dev.tiergate.fixtures.ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final Random random = new Random(7);

    @BeforeEach
    void start() {
        local = DynamoDBEmbedded.create(true);
        TableNames tables = TableNames.withPrefix("s");
        TableSetup.createIfMissing(local.dynamoDbClient(), tables);
        store = new DynamoSemanticCache(local.dynamoDbClient(), tables.semanticCache(), clock);
    }

    @AfterEach
    void stop() {
        store.close();
        local.shutdownNow();
    }

    private float[] unit() {
        float[] v = new float[384];
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / Math.sqrt(n));
        return v;
    }

    private static byte[] answer(String text) {
        return ("{\"answer\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anEntryIsFoundUnderEitherBucketWithItsPromptItsVectorAndItsAnswer() {
        float[] v = unit();
        assertThat(store.put("blue", "scope-1", BUCKETS, new SemanticCacheStore.Entry("r1", "What is the capital of France?", v),
                answer("Paris"), HOUR, 100)).isTrue();

        for (String bucket : BUCKETS) {
            List<SemanticCacheStore.Entry> found = store.candidates("blue", "scope-1", List.of(bucket, "v1:1:11111"));
            assertThat(found).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo("r1");
                assertThat(e.prompt()).isEqualTo("What is the capital of France?");
                // Kept as bytes: the cosine with the original stays within a rounding error.
                double cos = 0;
                for (int i = 0; i < v.length; i++) cos += v[i] * e.vector()[i];
                assertThat(cos).isGreaterThan(0.999);
            });
        }
        assertThat(store.candidates("blue", "scope-1", BUCKETS)).hasSize(1);
        assertThat(store.answer("blue", "r1")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).contains("Paris"));
        assertThat(store.candidates("blue", "scope-2", BUCKETS)).isEmpty();
        assertThat(store.candidates("blue", "scope-1", List.of("v1:0:00000"))).isEmpty();
    }

    @Test
    void anotherTeamReadsNothingEvenWithTheSameScopeBucketsAndEntryId() {
        store.put("blue", "scope-1", BUCKETS, new SemanticCacheStore.Entry("r1", "Q", unit()), answer("blue's"), HOUR, 100);

        assertThat(store.candidates("green", "scope-1", BUCKETS)).isEmpty();
        assertThat(store.answer("green", "r1")).isEmpty();
    }

    @Test
    void entriesExpireOnReadBeforeDynamoDbsTtlDeletesThem() {
        store.put("blue", "scope-1", BUCKETS, new SemanticCacheStore.Entry("r1", "Q", unit()), answer("A"), Duration.ofSeconds(30), 100);
        clock.advance(Duration.ofSeconds(29));
        assertThat(store.candidates("blue", "scope-1", BUCKETS)).hasSize(1);

        clock.advance(Duration.ofSeconds(1));

        assertThat(store.candidates("blue", "scope-1", BUCKETS)).isEmpty();
        assertThat(store.answer("blue", "r1")).isEmpty();
    }

    @Test
    void aTeamKeepsAtMostItsBoundOfLiveEntries() {
        // A bound of 4: two per TTL window, and at most two windows' entries are alive at once.
        for (int i = 0; i < 3; i++) {
            boolean kept = store.put("blue", "s", BUCKETS, new SemanticCacheStore.Entry("a" + i, "Q" + i, unit()), answer("x"), HOUR, 4);
            assertThat(kept).isEqualTo(i < 2);
        }
        clock.advance(HOUR);
        assertThat(store.put("blue", "s", BUCKETS, new SemanticCacheStore.Entry("b0", "Q", unit()), answer("x"), HOUR, 4)).isTrue();
        assertThat(store.put("blue", "s", BUCKETS, new SemanticCacheStore.Entry("b1", "Q", unit()), answer("x"), HOUR, 4)).isTrue();
        assertThat(store.put("blue", "s", BUCKETS, new SemanticCacheStore.Entry("b2", "Q", unit()), answer("x"), HOUR, 4)).isFalse();
        assertThat(store.candidates("blue", "s", BUCKETS)).hasSizeLessThanOrEqualTo(4);
        // Another team has a bound of its own.
        assertThat(store.put("green", "s", BUCKETS, new SemanticCacheStore.Entry("g0", "Q", unit()), answer("x"), HOUR, 4)).isTrue();
    }

    @Test
    void aLookupReadsOnePageOfTheNewestEntriesPerBucket() {
        for (int i = 0; i < DynamoSemanticCache.PAGE + 10; i++) {
            clock.advance(Duration.ofMillis(1));
            store.put("blue", "s", List.of(BUCKETS.getFirst()), new SemanticCacheStore.Entry("e" + i, "Q" + i, unit()), answer("x"), HOUR, 1_000);
        }

        List<SemanticCacheStore.Entry> found = store.candidates("blue", "s", List.of(BUCKETS.getFirst()));

        assertThat(found).hasSize(DynamoSemanticCache.PAGE);
        assertThat(found.getFirst().id()).isEqualTo("e" + (DynamoSemanticCache.PAGE + 9));
        assertThat(found).extracting(SemanticCacheStore.Entry::id).doesNotContain("e0", "e9");
    }

    @Test
    void anAnswerTooLargeForOneItemIsNotKept() {
        byte[] huge = new byte[400 * 1024];
        assertThat(store.put("blue", "s", BUCKETS, new SemanticCacheStore.Entry("big", "Q", unit()), huge, HOUR, 100)).isFalse();
        assertThat(store.candidates("blue", "s", BUCKETS)).isEmpty();
    }
}
