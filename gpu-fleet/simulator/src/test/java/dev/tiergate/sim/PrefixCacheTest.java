package dev.tiergate.sim;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class PrefixCacheTest {

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    @Test
    void matchesVllmDocumentedExample() {
        // vLLM's prefix cache hits whole blocks only: block size 4, a 14-token prompt whose first 10 tokens equal a cached request hits 8 tokens.
        PrefixCache cache = new PrefixCache(4, 100);
        cache.lookupAndInsert(range(0, 12));
        int[] second = new int[14];
        for (int i = 0; i < 14; i++) second[i] = i < 10 ? i : 1000 + i;
        assertThat(cache.lookupAndInsert(second)).isEqualTo(8);
    }

    @Test
    void fullyCachedPromptStillRecomputesItsLastBlock() {
        PrefixCache cache = new PrefixCache(16, 100);
        assertThat(cache.lookupAndInsert(range(0, 32))).isZero();
        assertThat(cache.lookupAndInsert(range(0, 32))).isEqualTo(16);
        assertThat(cache.lookupAndInsert(range(0, 33))).isEqualTo(32);
    }

    @Test
    void aBlockMatchesOnlyWhenEveryEarlierTokenMatches() {
        PrefixCache cache = new PrefixCache(4, 100);
        cache.lookupAndInsert(range(0, 9));
        int[] sameSecondBlockDifferentFirst = range(0, 9);
        sameSecondBlockDifferentFirst[0] = 999;
        assertThat(cache.lookupAndInsert(sameSecondBlockDifferentFirst)).isZero();
    }

    @Test
    void countsQueriedAndHitTokens() {
        PrefixCache cache = new PrefixCache(4, 100);
        cache.lookupAndInsert(range(0, 10));
        cache.lookupAndInsert(range(0, 10));
        assertThat(cache.queries()).isEqualTo(20);
        assertThat(cache.hits()).isEqualTo(8);
    }

    @Test
    void evictsLeastRecentlyUsedBlocksWhenFull() {
        PrefixCache cache = new PrefixCache(4, 2);
        cache.lookupAndInsert(range(0, 5));      // block A
        cache.lookupAndInsert(range(100, 105));  // block B
        cache.lookupAndInsert(range(0, 5));      // touch A (hit)
        cache.lookupAndInsert(range(200, 205));  // block C evicts B, the least recently used
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.lookupAndInsert(range(0, 5))).isEqualTo(4);
        assertThat(cache.lookupAndInsert(range(100, 105))).isZero();
    }
}
