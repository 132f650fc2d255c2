package dev.svidauth.keycloak.trustdomain;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrustDomainAuthorityTest {

    private static final KeySourcePolicy POLICY = SvidAuthOptions.DEFAULTS.keySourcePolicy();

    private static TrustDomainEntry entry(String... fieldsAndValues) {
        return TrustDomainEntryTest.entry(fieldsAndValues);
    }

    private static final TrustDomainEntry SEC = entry("trustDomain", "sec.test", "bundleEndpointUrl", "https://spire.sec.test/bundle",
            "issuer", "https://oidc.sec.test", "clientKeySources", "https://oidc.sec.test/keys");

    private static SvidClientConfig jwt(String... attributesAndValues) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < attributesAndValues.length; i += 2) {
            a.put(attributesAndValues[i], attributesAndValues[i + 1]);
        }
        return SvidClientConfig.read(SvidMethod.JWT, a);
    }

    private static ConfigError conflict(SvidClientConfig config) {
        return TrustDomainAuthority.keySourceConflict(config, "c", td -> td.equals("sec.test") ? SEC : null);
    }

    @Test
    void aClientsOwnJwksForATrustDomainWithAnEntryIsRefusedNamingTheAttributeButNoUrl() {
        ConfigError e = conflict(jwt("svid.spiffe.id", "spiffe://sec.test/payments", "svid.jwks.uri", "https://attacker.example/keys"));

        assertThat(e).isNotNull();
        assertThat(e.attribute()).isEqualTo("svid.jwks.uri");
        assertThat(e.message()).startsWith("svid.jwks.uri: ").contains("'sec.test'").doesNotContain("https://");
    }

    @Test
    void anOwnIssuerForDiscoveryOtherThanTheEntrysIsRefusedNamingSvidIssuer() {
        ConfigError e = conflict(jwt("svid.spiffe.id", "spiffe://sec.test/payments", "svid.issuer", "https://attacker.example"));

        assertThat(e.attribute()).isEqualTo("svid.issuer");
    }

    @Test
    void theEntrysOwnSourcesAreAccepted() {
        assertThat(conflict(jwt("svid.spiffe.id", "spiffe://sec.test/a", "svid.jwks.uri", "https://spire.sec.test/bundle"))).isNull();
        assertThat(conflict(jwt("svid.spiffe.id", "spiffe://sec.test/a", "svid.jwks.uri", "https://oidc.sec.test/keys")))
                .as("listed in clientKeySources").isNull();
        assertThat(conflict(jwt("svid.spiffe.id", "spiffe://sec.test/a", "svid.issuer", "https://oidc.sec.test")))
                .as("discovery from the entry's pinned issuer").isNull();
        assertThat(conflict(jwt("svid.spiffe.id", "spiffe://sec.test/a"))).as("no own key source").isNull();
        assertThat(conflict(jwt("svid.spiffe.id", "spiffe://free.test/a", "svid.jwks.uri", "https://anything.example/keys")))
                .as("a trust domain without an entry").isNull();
    }

    @Test
    void anX509ClientsOwnBundleIsCheckedToo() {
        Map<String, String> a = Map.of("svid.spiffe.id", "spiffe://sec.test/w", "svid.bundle.uri", "https://attacker.example/bundle");
        ConfigError e = TrustDomainAuthority.keySourceConflict(SvidClientConfig.read(SvidMethod.X509, a), "w",
                td -> td.equals("sec.test") ? SEC : null);

        assertThat(e.attribute()).isEqualTo("svid.bundle.uri");
        assertThat(TrustDomainAuthority.keySourceConflict(SvidClientConfig.read(SvidMethod.X509,
                Map.of("svid.spiffe.id", "spiffe://sec.test/w", "svid.bundle.uri", "https://spire.sec.test/bundle")), "w",
                td -> SEC)).isNull();
    }

    @ParameterizedTest(name = "{0} and {1}: {2}")
    @CsvSource({
            "spiffe://td/a/b, spiffe://td/a/b, true",
            "spiffe://td/a/b, spiffe://td/a/c, false",
            "spiffe://td/a/*, spiffe://td/a/b, true",
            "spiffe://td/a/*, spiffe://td/a/b/c, true",
            "spiffe://td/a/*, spiffe://td/a, false",
            "spiffe://td/a/*, spiffe://td/ab, false",
            "spiffe://td/a/*, spiffe://td/ab/*, false",
            "spiffe://td/a/*, spiffe://td/a/b/*, true",
            "spiffe://td/a/*, spiffe://td/a/*, true",
            "spiffe://td/*, spiffe://td/x, true",
            "spiffe://td/*, spiffe://td/x/*, true",
            "spiffe://td/a/b, spiffe://other/a/b, false",
            "spiffe://td/*, spiffe://other/*, false",
    })
    void overlapIsSymmetricAndSegmentSafe(String a, String b, boolean expected) throws Exception {
        SpiffeIdPattern pa = SpiffeIdPattern.parse(a);
        SpiffeIdPattern pb = SpiffeIdPattern.parse(b);
        assertThat(TrustDomainAuthority.overlap(pa, pb)).isEqualTo(expected);
        assertThat(TrustDomainAuthority.overlap(pb, pa)).isEqualTo(expected);
    }

    @Test
    void aClientIdThatIsASpiffeIdIsHeldAsAnExactId() {
        assertThat(TrustDomainAuthority.heldSpiffeIds("spiffe://td/ns/x", null)).extracting(Object::toString).containsExactly("spiffe://td/ns/x");
        assertThat(TrustDomainAuthority.heldSpiffeIds("plain", "spiffe://td/a##spiffe://td/b/*")).extracting(Object::toString)
                .containsExactly("spiffe://td/a", "spiffe://td/b/*");
    }

    @Test
    void overlapsAreReportedOutsideTrustDomainsThatAllowSharing() throws Exception {
        List<TrustDomainAuthority.Holder> others = List.of(
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "payments", "spiffe://sec.test/payments"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "spiffe://shared.test/ns/x", null));
        List<SpiffeIdPattern> mine = List.of(SpiffeIdPattern.parse("spiffe://sec.test/*"), SpiffeIdPattern.parse("spiffe://shared.test/ns/x"),
                SpiffeIdPattern.parse("spiffe://sec.test/other"));

        Map<SpiffeIdPattern, String> strict = TrustDomainAuthority.overlaps(mine, others, td -> false);
        assertThat(strict).containsOnlyKeys(SpiffeIdPattern.parse("spiffe://sec.test/*"), SpiffeIdPattern.parse("spiffe://shared.test/ns/x"));
        assertThat(strict.get(SpiffeIdPattern.parse("spiffe://shared.test/ns/x"))).isEqualTo("spiffe://shared.test/ns/x");

        assertThat(TrustDomainAuthority.overlaps(mine, others, td -> td.equals("shared.test")))
                .containsOnlyKeys(SpiffeIdPattern.parse("spiffe://sec.test/*"));
    }

    @Test
    void theSharingRefusalNamesTheAttributeAndTheSwitchButNotTheOtherClient() throws Exception {
        ConfigError e = TrustDomainAuthority.sharingRefusal(List.of(SpiffeIdPattern.parse("spiffe://sec.test/payments")));

        assertThat(e.attribute()).isEqualTo("svid.spiffe.id");
        assertThat(e.message()).startsWith("svid.spiffe.id: [spiffe://sec.test/payments] overlaps").contains("sharedSpiffeIds");
    }

    @Test
    void theNewEntryFieldsAreValidated() {
        assertThat(entry("trustDomain", "sec.test", "bundleEndpointUrl", "https://spire.sec.test/bundle",
                "clientKeySources", "https://oidc.sec.test/keys##https://mirror.sec.test/keys", "sharedSpiffeIds", "true")
                .validate(POLICY)).isEmpty();
        assertThat(entry("trustDomain", "sec.test", "bundleEndpointUrl", "https://spire.sec.test/bundle",
                "clientKeySources", "ftp://x").validate(POLICY)).extracting(ConfigError::attribute).containsExactly("clientKeySources");
        assertThat(entry("trustDomain", "sec.test", "bundleEndpointUrl", "https://spire.sec.test/bundle",
                "clientKeySources", "http://169.254.169.254/keys").validate(POLICY)).extracting(ConfigError::message)
                .singleElement().asString().startsWith("clientKeySources").contains("link-local");
        assertThat(entry("trustDomain", "sec.test", "bundleEndpointUrl", "https://spire.sec.test/bundle",
                "sharedSpiffeIds", "yes").validate(POLICY)).extracting(ConfigError::attribute).containsExactly("sharedSpiffeIds");
        assertThat(SEC.allowsSharedSpiffeIds()).isFalse();
        assertThat(entry("trustDomain", "sec.test", "sharedSpiffeIds", "TRUE").allowsSharedSpiffeIds()).isTrue();
    }

    @Test
    void sharedPairsAreFoundOnceEachAndAgreeWithPairwiseOverlap() throws Exception {
        List<TrustDomainAuthority.Holder> holders = List.of(
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "a", "spiffe://td/x/y"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "b", "spiffe://td/x/y"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "c", "spiffe://td/x/*"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "d", "spiffe://td/*"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "e", "spiffe://td/x"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "f", "spiffe://td/xy/z"),
                new TrustDomainAuthority.Holder(SvidMethod.X509, "g", "spiffe://td/x/y"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "spiffe://td/x/y", null),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "h", "spiffe://open.test/x##spiffe://open.test/x/*##spiffe://open.test/*"),
                new TrustDomainAuthority.Holder(SvidMethod.JWT, "i", "spiffe://open.test/x"));

        java.util.Set<String> found = new java.util.TreeSet<>();
        for (TrustDomainAuthority.Shared s : TrustDomainAuthority.sharedPairs(holders, td -> td.equals("open.test"))) {
            String pair = s.narrower().compareTo(s.broader()) < 0 ? s.narrower() + "|" + s.broader() : s.broader() + "|" + s.narrower();
            assertThat(found.add(pair)).as("reported once: " + pair).isTrue();
        }
        // the same pairs by brute force over every two values
        java.util.Set<String> expected = new java.util.TreeSet<>();
        for (TrustDomainAuthority.Holder x : holders) {
            for (TrustDomainAuthority.Holder y : holders) {
                if (x.clientId().compareTo(y.clientId()) < 0 && x.method() == y.method()) {
                    for (SpiffeIdPattern px : TrustDomainAuthority.heldSpiffeIds(x.clientId(), x.spiffeIds())) {
                        for (SpiffeIdPattern py : TrustDomainAuthority.heldSpiffeIds(y.clientId(), y.spiffeIds())) {
                            if (!px.trustDomain().equals("open.test") && TrustDomainAuthority.overlap(px, py)) {
                                expected.add(x.clientId() + "|" + y.clientId());
                            }
                        }
                    }
                }
            }
        }
        assertThat(found).isEqualTo(expected).contains("a|b", "a|c", "a|d", "c|d", "d|e", "d|f", "a|spiffe://td/x/y")
                .doesNotContain("c|e", "a|g", "h|i");
    }
}
