package dev.svidauth.keycloak.trustdomain;

import dev.svidauth.keycloak.admin.TrustDomainPageFactory;
import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.keycloak.component.ComponentModel;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrustDomainEntryTest {

    private static final KeySourcePolicy POLICY = SvidAuthOptions.DEFAULTS.keySourcePolicy();

    /** An entry with these fields (name, value, name, value, …), as a realm component holds them. */
    static TrustDomainEntry entry(String... fieldsAndValues) {
        ComponentModel c = new ComponentModel();
        c.setId("id-1");
        c.setProviderId(TrustDomainPageFactory.PROVIDER_ID);
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            c.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return TrustDomainEntry.of(c);
    }

    @Test
    void aBundleEndpointEntryIsValidAndSuppliesKeySourceIssuerAndDefaults() {
        TrustDomainEntry e = entry("trustDomain", "example.org", "bundleEndpointUrl", "https://spire.example.org:8443",
                "issuer", "https://oidc.example.org", "maxLifetime", "600", "clockSkew", "5", "algorithms", "ES256");

        assertThat(e.validate(POLICY)).isEmpty();
        Map<String, String> client = new HashMap<>();
        client.put("svid.spiffe.id", "spiffe://example.org/ns/a/sa/b");
        client.put("svid.clock.skew", "20");
        SvidClientConfig s = e.settingsFor(client::get);

        assertThat(s.errors()).isEmpty();
        assertThat(s.jwksUri()).hasToString("https://spire.example.org:8443");
        assertThat(s.policy().issuer()).isEqualTo("https://oidc.example.org");
        assertThat(s.policy().maxLifetime()).isEqualTo(Duration.ofSeconds(600));
        assertThat(s.policy().clockSkew()).as("the client's own setting wins").isEqualTo(Duration.ofSeconds(20));
        assertThat(s.policy().algorithms()).containsExactly("ES256");
    }

    /** The entry's endpoint-audience default reaches the clients relying on it, unless they decide themselves. */
    @Test
    void endpointAudiencesAreAnEntryDefaultThatAClientOverridesAndIssuerOnlyRefuses() {
        TrustDomainEntry off = entry("trustDomain", "example.org", "bundleEndpointUrl", "https://spire.example.org:8443");
        TrustDomainEntry on = entry("trustDomain", "example.org", "bundleEndpointUrl", "https://spire.example.org:8443",
                "audienceEndpoints", "true");
        Map<String, String> client = new HashMap<>();
        client.put("svid.spiffe.id", "spiffe://example.org/ns/a/sa/b");

        assertThat(on.validate(POLICY)).isEmpty();
        assertThat(off.settingsFor(client::get).policy().endpointAudiences()).as("default: issuer only").isFalse();
        assertThat(on.settingsFor(client::get).policy().endpointAudiences()).as("the entry's opt-in").isTrue();
        client.put("svid.audience.endpoints", "false");
        assertThat(on.settingsFor(client::get).policy().endpointAudiences()).as("the client's own setting wins").isFalse();
        client.remove("svid.audience.endpoints");
        client.put("svid.audience.issuer.only", "true");
        SvidClientConfig strict = on.settingsFor(client::get);
        assertThat(strict.errors()).as("no contradiction from the entry's default").isEmpty();
        assertThat(strict.policy().endpointAudiences()).isFalse();
        assertThat(strict.policy().issuerOnlyAudience()).isTrue();
    }

    @Test
    void anIssuerAloneMeansDiscovery() {
        TrustDomainEntry e = entry("trustDomain", "example.org", "issuer", "https://oidc.example.org");

        assertThat(e.validate(POLICY)).isEmpty();
        assertThat(e.settings().jwksUri()).isNull();
        assertThat(e.settings().policy().issuer()).isEqualTo("https://oidc.example.org");
    }

    @ParameterizedTest(name = "{0}={1} is refused naming {2}")
    @CsvSource(delimiter = '|', value = {
            "trustDomain|Example.org|trustDomain|not a trust domain name",
            "trustDomain|spiffe://example.org|trustDomain|not a trust domain name",
            "trustDomain|example.org:443|trustDomain|not a trust domain name",
            "trustDomain|''|trustDomain|required",
            "jwksUri|https://example.org/keys|jwksUri|not both",
            "bundleEndpointUrl|ftp://x|bundleEndpointUrl|not an absolute http(s) URL",
            "bundleEndpointUrl|http://169.254.169.254/|bundleEndpointUrl|link-local",
            "bundleEndpointUrl|https://spire.example.org:8443/?td=other|bundleEndpointUrl|must not have a query",
            "bundleEndpointUrl|http://100.100.100.200/|bundleEndpointUrl|cloud metadata address",
            "bundleEndpointUrl|http://168.63.129.16/|bundleEndpointUrl|cloud metadata address",
            "issuer|' https://a'|issuer|white space",
            "maxLifetime|0|maxLifetime|between 1 and 86400",
            "clockSkew|601|clockSkew|between 0 and 600",
            "algorithms|HS256|algorithms|not supported",
            "audienceEndpoints|yes|audienceEndpoints|true or false",
    })
    void badValuesAreRefusedNamingTheField(String field, String value, String named, String problem) {
        Map<String, String> fields = new HashMap<>(Map.of("trustDomain", "example.org",
                "bundleEndpointUrl", "https://spire.example.org:8443"));
        fields.put(field, value);
        String[] flat = fields.entrySet().stream().flatMap(x -> java.util.stream.Stream.of(x.getKey(), x.getValue()))
                .toArray(String[]::new);

        assertThat(entry(flat).validate(POLICY)).anySatisfy(err -> {
            assertThat(err.attribute()).isEqualTo(named);
            assertThat(err.message()).startsWith(named).contains(problem);
        });
    }

    @Test
    void anEntryWithoutAnyKeySourceIsRefused() {
        assertThat(entry("trustDomain", "example.org").validate(POLICY)).extracting(ConfigError::attribute)
                .containsExactly("bundleEndpointUrl");
    }
}
