package dev.tiergate.core.fleet;

import java.net.URI;

/** Looks at one replica: health, served models, load. The HTTP adapter talks vLLM's endpoints. */
public interface ReplicaProbe {
    ReplicaStatus probe(String tier, String model, URI replica);
}
