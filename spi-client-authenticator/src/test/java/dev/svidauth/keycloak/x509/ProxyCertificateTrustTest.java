package dev.svidauth.keycloak.x509;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate that a header lookup found is used only with Keycloak's proxy trust configured
 * ({@code proxy-trusted-addresses}); the certificate of Keycloak's own TLS handshake always.
 */
class ProxyCertificateTrustTest {

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "haproxy", "apache", "envoy", "traefik", "rfc9440", "my-custom-lookup"})
    void aHeaderLookupWithoutTrustedAddressesIsIgnoredAndWarnedAbout(String lookup) {
        ProxyCertificateTrust trust = new ProxyCertificateTrust(lookup, null);

        assertThat(trust.forwarded()).isTrue();
        assertThat(trust.ignoresForwardedCertificates()).isTrue();
        assertThat(trust.warning()).contains("'" + lookup + "'", "proxy-trusted-addresses is not set", "IGNORES forwarded certificates");
        assertThat(trust.serverInfo()).startsWith("IGNORED: lookup '" + lookup + "' reads a request header");
    }

    @Test
    void blankTrustedAddressesAreUnset() {
        assertThat(new ProxyCertificateTrust("nginx", "  ").ignoresForwardedCertificates()).isTrue();
    }

    @Test
    void aHeaderLookupWithTrustedAddressesIsUsed() {
        ProxyCertificateTrust trust = new ProxyCertificateTrust("nginx", "10.0.0.5,192.168.0.0/24");

        assertThat(trust.ignoresForwardedCertificates()).isFalse();
        assertThat(trust.warning()).isNull();
        assertThat(trust.serverInfo()).isEqualTo("used from proxy-trusted-addresses only (10.0.0.5,192.168.0.0/24)");
    }

    @Test
    void keycloaksOwnTlsIsNeverAffected() {
        for (ProxyCertificateTrust trust : new ProxyCertificateTrust[]{new ProxyCertificateTrust("default", null),
                new ProxyCertificateTrust("quarkus", null), new ProxyCertificateTrust(null, null),
                new ProxyCertificateTrust("default", "10.0.0.5")}) {
            assertThat(trust.forwarded()).isFalse();
            assertThat(trust.ignoresForwardedCertificates()).isFalse();
            assertThat(trust.warning()).isNull();
            assertThat(trust.serverInfo()).startsWith("not read: the certificate of Keycloak's own TLS handshake");
        }
    }

    /** Outside Keycloak (no configuration to read) the option counts as unset: fail closed. */
    @Test
    void anUnreadableConfigurationCountsAsUnset() {
        assertThat(ProxyCertificateTrust.configuredTrustedAddresses()).isEmpty();
    }
}
