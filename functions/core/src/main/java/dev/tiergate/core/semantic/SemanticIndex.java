package dev.tiergate.core.semantic;

import dev.tiergate.core.ports.SemanticCacheStore;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Finds a kept prompt that means the same as a new one: the candidates of its hash buckets, the closest whose cosine
 * reaches the threshold and with which the {@link FalseHitGuard} finds no disagreement. The gateway and
 * {@code tiergate eval-cache} both look up through it, so what is measured is what serves.
 */
public final class SemanticIndex {

    /** The entry found, and how similar its prompt is. */
    public record Match(SemanticCacheStore.Entry entry, double similarity) {}

    /** What one lookup found, and how many candidates it compared. */
    public record Lookup(Optional<Match> match, int candidates) {}

    private final SemanticCacheStore store;
    private final LshBuckets buckets;
    private final FalseHitGuard guard = new FalseHitGuard();

    public SemanticIndex(SemanticCacheStore store, int dimensions) {
        this.store = store;
        this.buckets = new LshBuckets(dimensions);
    }

    public List<String> buckets(float[] vector) {
        return buckets.of(vector);
    }

    /** Where an entry for this vector is written. */
    public List<String> storedUnder(float[] vector) {
        return buckets.storedUnder(vector);
    }

    public FalseHitGuard guard() {
        return guard;
    }

    public Lookup lookup(String team, String scope, String prompt, float[] vector, double threshold) {
        List<SemanticCacheStore.Entry> candidates = store.candidates(team, scope, buckets.of(vector));
        Match best = null;
        FalseHitGuard.Facts asked = null;
        for (SemanticCacheStore.Entry e : candidates) {
            double similarity = LshBuckets.cosine(vector, e.vector());
            if (similarity < threshold || (best != null && similarity <= best.similarity())) continue;
            if (asked == null) asked = guard.facts(prompt);
            if (guard.mismatch(asked, guard.facts(e.prompt())).isPresent()) continue;
            best = new Match(e, similarity);
        }
        return new Lookup(Optional.ofNullable(best), candidates.size());
    }

    /** @return false when the team's bound is reached and nothing was kept */
    public boolean keep(String team, String scope, SemanticCacheStore.Entry entry, byte[] answer, Duration ttl, long maxEntries) {
        return store.put(team, scope, buckets.storedUnder(entry.vector()), entry, answer, ttl, maxEntries);
    }

    public Optional<byte[]> answer(String team, Match match) {
        return store.answer(team, match.entry().id());
    }
}
