package dev.tiergate.adapters.wiring;

import dev.tiergate.adapters.http.HttpUpstream;
import dev.tiergate.adapters.sagemaker.SageMakerUpstream;
import dev.tiergate.core.fleet.SageMakerEndpoint;
import dev.tiergate.core.ports.Upstream;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * Every replica a tier can have, by its address: {@code http(s)://} goes over HTTP (vLLM, a hosted API, a load
 * balancer), {@code sagemaker://} through SageMaker Runtime. The SageMaker client exists only when some tier is one.
 */
final class FleetUpstream implements Upstream, AutoCloseable {

    private final HttpUpstream http;
    private final Optional<SageMakerUpstream> sageMaker;

    FleetUpstream(HttpUpstream http, Optional<SageMakerUpstream> sageMaker) {
        this.http = http;
        this.sageMaker = sageMaker;
    }

    private Upstream forAddress(URI url) throws UpstreamException {
        if (!SageMakerEndpoint.SCHEME.equalsIgnoreCase(url.getScheme())) return http;
        return sageMaker.orElseThrow(() -> new UpstreamException(UpstreamException.Kind.CONNECT,
                url + " is a SageMaker endpoint, and no tier of this config is served by SageMaker", null));
    }

    @Override
    public Reply send(URI url, byte[] jsonBody, Instant deadline) throws UpstreamException {
        return forAddress(url).send(url, jsonBody, deadline);
    }

    @Override
    public Stream openStream(URI url, byte[] jsonBody, Instant firstByteDeadline, Instant deadline) throws UpstreamException {
        return forAddress(url).openStream(url, jsonBody, firstByteDeadline, deadline);
    }

    @Override
    public void close() {
        http.close();
        sageMaker.ifPresent(SageMakerUpstream::close);
    }
}
