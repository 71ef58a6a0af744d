package dev.tiergate.core.config;

import java.net.URI;
import java.util.Optional;
import java.util.Set;

/**
 * What the gateway tells operators about itself.
 *
 * @param namespace        the CloudWatch namespace of the EMF metrics
 * @param contentLogTeams  teams that opted in to having prompts and answers logged, after PII redaction; nobody else's
 *                         content is ever logged
 * @param remoteWrite      where Prometheus remote-write pushes the gateway's and the fleet's metrics, if anywhere
 */
public record ObservabilitySettings(String namespace, Set<String> contentLogTeams, Optional<RemoteWrite> remoteWrite) {

    public static final ObservabilitySettings DEFAULT = new ObservabilitySettings("Tiergate", Set.of(), Optional.empty());

    public ObservabilitySettings {
        contentLogTeams = Set.copyOf(contentLogTeams);
    }

    /**
     * @param url             a Prometheus {@code /api/v1/write} or an Amazon Managed Prometheus {@code remote_write} URL
     * @param intervalSeconds how often a batch is pushed
     * @param sigv4Region     sign with SigV4 (service {@code aps}) for this region; empty for a plain Prometheus
     */
    public record RemoteWrite(URI url, int intervalSeconds, Optional<String> sigv4Region) {
    }
}
