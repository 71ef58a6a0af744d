package dev.tiergate.sim;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A replica's prefix cache, as vLLM's V1 engine keeps it: prompts are cut into full blocks of {@code blockSize} tokens,
 * each block hashed together with its parent block's hash (so a block matches only when every earlier token matches),
 * and the longest run of cached leading blocks is a hit. The hit is capped at {@code promptLength - 1} tokens and then
 * block-aligned, because the engine always recomputes the last token. Bounded in blocks; least recently used goes first.
 */
public final class PrefixCache {

    private static final byte[] NONE_HASH = new byte[32];

    private final int blockSize;
    private final int capacityBlocks;
    private final LinkedHashMap<Key, Boolean> blocks;
    private long queries;
    private long hits;

    public PrefixCache(int blockSize, int capacityBlocks) {
        if (blockSize <= 0 || capacityBlocks <= 0) throw new IllegalArgumentException("blockSize and capacity must be > 0");
        this.blockSize = blockSize;
        this.capacityBlocks = capacityBlocks;
        this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
                return size() > PrefixCache.this.capacityBlocks;
            }
        };
    }

    /**
     * Looks the prompt up, counts the query and the hit tokens, and caches the prompt's full blocks.
     *
     * @return the number of prompt tokens served from the cache
     */
    public synchronized int lookupAndInsert(int[] promptTokens) {
        byte[][] hashes = blockHashes(promptTokens);
        int matched = 0;
        while (matched < hashes.length && blocks.containsKey(new Key(hashes[matched]))) {
            blocks.get(new Key(hashes[matched])); // touch for LRU
            matched++;
        }
        int maxHit = Math.max(0, promptTokens.length - 1);
        int hit = Math.min(matched * blockSize, maxHit);
        hit = (hit / blockSize) * blockSize;
        for (byte[] h : hashes) blocks.put(new Key(h), Boolean.TRUE);
        queries += promptTokens.length;
        hits += hit;
        return hit;
    }

    public synchronized long queries() { return queries; }

    public synchronized long hits() { return hits; }

    public synchronized int size() { return blocks.size(); }

    public int blockSize() { return blockSize; }

    private byte[][] blockHashes(int[] tokens) {
        int full = tokens.length / blockSize;
        byte[][] out = new byte[full][];
        byte[] parent = NONE_HASH;
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(32 + 4 * blockSize);
        for (int b = 0; b < full; b++) {
            buf.clear();
            buf.put(parent);
            for (int i = b * blockSize; i < (b + 1) * blockSize; i++) buf.putInt(tokens[i]);
            sha.reset();
            sha.update(buf.array(), 0, buf.position());
            parent = sha.digest();
            out[b] = parent;
        }
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    private record Key(byte[] hash) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && java.util.Arrays.equals(hash, k.hash);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(hash);
        }
    }
}
