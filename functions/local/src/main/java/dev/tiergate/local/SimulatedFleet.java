package dev.tiergate.local;

import dev.tiergate.core.config.SimulatorSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.sim.PromptTokenizer;
import dev.tiergate.sim.ReplicaSettings;
import dev.tiergate.sim.SimulatedReplica;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Simulated vLLM replicas for every tier that has no endpoint of its own, shaped by the tier's config. */
public final class SimulatedFleet implements AutoCloseable {

    private final Map<String, List<SimulatedReplica>> replicas;

    private SimulatedFleet(Map<String, List<SimulatedReplica>> replicas) {
        this.replicas = replicas;
    }

    /**
     * @param basePort first port to use, counting up; 0 lets the system choose free ports
     */
    public static SimulatedFleet start(TiergateConfig config, int replicasPerTier, int basePort, double timeScale, InetAddress host) {
        return start(config, replicasPerTier, basePort, timeScale, host, new PromptTokenizer());
    }

    /** As {@link #start(TiergateConfig, int, int, double, InetAddress)}, with a tokenizer the caller shares. */
    public static SimulatedFleet start(TiergateConfig config, int replicasPerTier, int basePort, double timeScale, InetAddress host,
                                       PromptTokenizer tokenizer) {
        Map<String, List<SimulatedReplica>> out = new LinkedHashMap<>();
        int port = basePort;
        try {
            for (TierConfig t : config.tiers()) {
                if (t.endpoint().isPresent()) continue;
                List<SimulatedReplica> list = new ArrayList<>();
                for (int i = 0; i < replicasPerTier; i++) {
                    list.add(SimulatedReplica.start(settings(t, timeScale), host, port == 0 ? 0 : port++, tokenizer));
                }
                out.put(t.name(), list);
            }
        } catch (RuntimeException e) {
            out.values().forEach(l -> l.forEach(SimulatedReplica::close));
            throw e;
        }
        return new SimulatedFleet(out);
    }

    static ReplicaSettings settings(TierConfig t, double timeScale) {
        SimulatorSpec s = t.simulator();
        return ReplicaSettings.builder(t.model())
                .modelRoot(t.fleet().map(f -> f.modelId()).orElse("/models/" + t.model()))
                .maxModelLen(t.contextWindow())
                .maxNumSeqs(s.maxNumSeqs())
                .prefillMicrosPerToken(s.prefillMicrosPerToken())
                .interTokenMicros(s.interTokenMicros())
                .outputTokens(s.minOutputTokens(), s.maxOutputTokens())
                .kvCacheBlocks(s.kvCacheBlocks())
                .timeScale(timeScale)
                .embeds(!t.generates())
                .toolCallParser(t.fleet().flatMap(f -> f.vllm().toolCallParser()).orElse(null))
                .build();
    }

    public Map<String, List<URI>> urls() {
        Map<String, List<URI>> m = new LinkedHashMap<>();
        replicas.forEach((tier, list) -> m.put(tier, list.stream().map(SimulatedReplica::baseUrl).toList()));
        return m;
    }

    public Map<String, List<SimulatedReplica>> replicas() {
        return replicas;
    }

    /** Closes every replica at once: each JDK HTTP server takes up to a second to stop. */
    @Override
    public void close() {
        List<Thread> closing = new ArrayList<>();
        replicas.values().forEach(l -> l.forEach(r -> closing.add(Thread.ofVirtual().start(r::close))));
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
