package dev.tiergate.adapters.fleet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What an instance may claim as its address, and what a replica list may name. */
class TargetHealthDiscoveryTest {

    @Test
    void onlyLiteralPrivateAddressesAreTakenFromARegistration() {
        assertThat(TargetHealthDiscovery.privateAddress("10.0.12.34")).isTrue();
        assertThat(TargetHealthDiscovery.privateAddress("172.16.0.9")).isTrue();
        assertThat(TargetHealthDiscovery.privateAddress("127.0.0.1")).isTrue();
        assertThat(TargetHealthDiscovery.privateAddress("8.8.8.8")).isFalse();
        assertThat(TargetHealthDiscovery.privateAddress("evil.example.com")).isFalse();
        assertThat(TargetHealthDiscovery.privateAddress("10.0.0.1:80")).isFalse();
    }

    @Test
    void aReplicaListRefusesAMalformedSageMakerEndpointAtStart() {
        assertThat(StaticFleetRegistry.parse("large=sagemaker://tiergate-large").get("large")).hasSize(1);
        assertThatThrownBy(() -> StaticFleetRegistry.parse("large=sagemaker://bad_name"))
                .hasMessageContaining("is not a SageMaker endpoint name");
    }
}
