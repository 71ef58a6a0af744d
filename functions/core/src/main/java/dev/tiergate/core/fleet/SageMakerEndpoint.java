package dev.tiergate.core.fleet;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;

import java.net.URI;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A SageMaker real-time endpoint that serves a tier. Dispatch addresses replicas by URI, so an endpoint is addressed
 * as {@code sagemaker://<name>}: the upstream that understands that scheme calls SageMaker Runtime with SigV4, and
 * the replica selector, breakers and health treat the endpoint as the tier's one replica (SageMaker balances its
 * instances itself).
 *
 * @param name the endpoint name, as SageMaker allows it: at most 63 letters, digits and inner hyphens
 */
public record SageMakerEndpoint(String name) {

    public static final String SCHEME = "sagemaker";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9])*");

    public SageMakerEndpoint {
        if (name.length() > 63 || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a SageMaker endpoint name (at most 63 letters, digits and inner hyphens)");
        }
    }

    /**
     * The endpoint the CDK app creates for a tier, {@code <tables.prefix>-<tier>} with every other character made a
     * hyphen: derived, so the gateway and the stack agree on it without passing it around.
     */
    public static Optional<SageMakerEndpoint> of(TiergateConfig config, TierConfig tier) {
        if (tier.endpoint().isPresent() || tier.fleet().map(f -> f.kind() != FleetSpec.Kind.SAGEMAKER).orElse(true)) {
            return Optional.empty();
        }
        String raw = (config.tablePrefix() + "-" + tier.name()).replaceAll("[^a-zA-Z0-9]+", "-");
        if (raw.length() > 63) raw = raw.substring(0, 63);
        return Optional.of(new SageMakerEndpoint(raw.replaceAll("^-+|-+$", "")));
    }

    /** The endpoint an address names, when it is a SageMaker address. */
    public static Optional<SageMakerEndpoint> at(URI address) {
        if (!SCHEME.equalsIgnoreCase(address.getScheme()) || address.getRawAuthority() == null) return Optional.empty();
        return Optional.of(new SageMakerEndpoint(address.getRawAuthority()));
    }

    public URI address() {
        return URI.create(SCHEME + "://" + name);
    }
}
