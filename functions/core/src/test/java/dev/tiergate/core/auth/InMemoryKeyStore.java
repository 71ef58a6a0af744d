package dev.tiergate.core.auth;

import dev.tiergate.core.ports.KeyStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The key store in memory, with the same conditional semantics as the DynamoDB one; counts bootstrap reads. */
final class InMemoryKeyStore implements KeyStore {

    private final Map<String, ApiKey> byHash = new ConcurrentHashMap<>();
    private volatile Optional<BootstrapKey> bootstrap = Optional.empty();
    final AtomicInteger bootstrapReads = new AtomicInteger();

    @Override
    public Optional<ApiKey> findByHash(String secretHash) {
        return Optional.ofNullable(byHash.get(secretHash));
    }

    @Override
    public synchronized void create(ApiKey key) {
        if (byHash.putIfAbsent(key.secretHash(), key) != null) throw new IllegalStateException("a key with this hash exists");
    }

    @Override
    public Optional<ApiKey> findById(String id) {
        return byHash.values().stream().filter(k -> k.id().equals(id)).findFirst()
                .or(() -> bootstrap.map(BootstrapKey::key).filter(k -> k.id().equals(id)));
    }

    @Override
    public List<ApiKey> list(Optional<String> team) {
        List<ApiKey> out = new ArrayList<>();
        for (ApiKey k : byHash.values()) if (team.map(t -> t.equals(k.team())).orElse(true)) out.add(k);
        return out;
    }

    @Override
    public synchronized boolean replace(ApiKey asRead, ApiKey changed) {
        ApiKey stored = byHash.get(asRead.secretHash());
        if (stored == null || stored.version() != asRead.version()) return false;
        byHash.remove(asRead.secretHash());
        byHash.put(changed.secretHash(), changed.nextVersion());
        return true;
    }

    @Override
    public Optional<BootstrapKey> bootstrap() {
        bootstrapReads.incrementAndGet();
        return bootstrap;
    }

    @Override
    public synchronized boolean installBootstrap(BootstrapKey key, OptionalLong replacing) {
        boolean matches = replacing.isEmpty() ? bootstrap.isEmpty()
                : bootstrap.map(b -> b.key().version() == replacing.getAsLong()).orElse(false);
        if (!matches) return false;
        bootstrap = Optional.of(key);
        byHash.values().removeIf(k -> k.id().equals(BootstrapKey.ID));
        return true;
    }

    /** A row as an older release stored it: by the plain SHA-256, under the bootstrap key's id. */
    void putLegacy(ApiKey key) {
        byHash.put(key.secretHash(), key);
    }
}
