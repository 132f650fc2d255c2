package dev.svidauth.keycloak.client;

import dev.svidauth.spiffe.SpiffeIdPattern;
import dev.svidauth.svid.SvidPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class SvidClientConfigTest {

    private static final String ID = "spiffe://example.org/ns/apps/sa/payments";
    private static final String JWKS = "https://oidc.example.org/keys";

    static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("svid.spiffe.id", ID);
        m.put("svid.jwks.uri", JWKS);
        return m;
    }

    static Map<String, String> with(String name, String value) {
        Map<String, String> m = minimal();
        if (value == null) {
            m.remove(name);
        } else {
            m.put(name, value);
        }
        return m;
    }

    @Test
    void attributeNamesAreTheContract() {
        assertThat(SvidClientConfig.ALL).containsExactly("svid.spiffe.id", "svid.jwks.uri", "svid.issuer", "svid.audiences",
                "svid.audience.issuer.only", "svid.audience.endpoints", "svid.max.lifetime", "svid.clock.skew", "svid.single.use", "svid.algorithms",
                "svid.bundle.uri", "svid.pop.max.age");
        assertThat(SvidClientConfig.X509).containsExactly("svid.spiffe.id", "svid.bundle.uri", "svid.clock.skew");
        assertThat(SvidClientConfig.WIT).containsExactly("svid.spiffe.id", "svid.bundle.uri", "svid.clock.skew", "svid.pop.max.age");
    }

    @Test
    void witClientReadsItsBundleAndPopWindow() {
        SvidClientConfig c = SvidClientConfig.read(SvidMethod.WIT, Map.of("svid.spiffe.id", ID,
                "svid.bundle.uri", "https://spire.example.org/bundle", "svid.pop.max.age", "120"));
        assertThat(c.errors()).isEmpty();
        assertThat(c.method()).isEqualTo(SvidMethod.WIT);
        assertThat(c.bundleUri()).isEqualTo(URI.create("https://spire.example.org/bundle"));
        assertThat(c.keySourceAttribute()).isEqualTo("svid.bundle.uri");
        assertThat(c.popMaxAge()).isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(SvidClientConfig.read(SvidMethod.WIT, Map.of("svid.spiffe.id", ID)).popMaxAge())
                .isEqualTo(java.time.Duration.ofSeconds(60));
    }

    @Test
    void witPopWindowOutOfRangeIsAnError() {
        for (String bad : new String[]{"0", "301", "soon"}) {
            SvidClientConfig c = SvidClientConfig.read(SvidMethod.WIT, Map.of("svid.spiffe.id", ID,
                    "svid.bundle.uri", "https://spire.example.org/bundle", "svid.pop.max.age", bad));
            assertThat(c.errors()).as(bad).extracting(ConfigError::attribute).containsExactly("svid.pop.max.age");
        }
    }

    @Test
    void witClientWithoutSpiffeIdIsToldWhichKind() {
        SvidClientConfig c = SvidClientConfig.read(SvidMethod.WIT, Map.of("svid.bundle.uri", "https://spire.example.org/bundle"));
        assertThat(c.validate("wit")).extracting(ConfigError::message).anySatisfy(m -> assertThat(m).contains("a WIT-SVID"));
    }

    @Test
    void defaults() {
        SvidClientConfig c = SvidClientConfig.read(minimal());
        assertThat(c.errors()).isEmpty();
        assertThat(c.validate("payments")).isEmpty();
        assertThat(c.spiffeIds()).extracting(Object::toString).containsExactly(ID);
        assertThat(c.jwksUri()).isEqualTo(URI.create(JWKS));
        SvidPolicy p = c.policy();
        assertThat(p.issuer()).isNull();
        assertThat(p.audiences()).isEmpty();
        assertThat(p.endpointAudiences()).as("issuer-only audience by default").isFalse();
        assertThat(p.issuerOnlyAudience()).isFalse();
        assertThat(p.maxLifetime()).isEqualTo(Duration.ofSeconds(3600));
        assertThat(p.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.singleUse()).isFalse();
        assertThat(p.algorithms()).containsExactlyInAnyOrder("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                "ES256", "ES384", "ES512");
    }

    @Test
    void blankValuesMeanDefaults() {
        Map<String, String> m = minimal();
        for (String name : List.of("svid.issuer", "svid.audiences", "svid.max.lifetime", "svid.clock.skew",
                "svid.single.use", "svid.algorithms")) {
            m.put(name, "  ");
        }
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).isEmpty();
        assertThat(c.policy().maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(c.policy().algorithms()).hasSize(9);
        assertThat(c.policy().issuer()).isNull();
    }

    @Test
    void readsEveryAttribute() {
        Map<String, String> m = new HashMap<>();
        m.put("svid.spiffe.id", ID + "##spiffe://example.org/ns/batch/*");
        m.put("svid.jwks.uri", "https://spire.example.org:8443/bundle");
        m.put("svid.issuer", "https://oidc.example.org");
        m.put("svid.audiences", "spiffe://example.org/keycloak##https://kc.internal/realms/apps");
        m.put("svid.max.lifetime", "600");
        m.put("svid.clock.skew", "0");
        m.put("svid.single.use", "TRUE");
        m.put("svid.algorithms", "ES256##RS256");

        SvidClientConfig c = SvidClientConfig.read(m);

        assertThat(c.errors()).isEmpty();
        assertThat(c.spiffeIds()).extracting(Object::toString).containsExactly(ID, "spiffe://example.org/ns/batch/*");
        assertThat(c.spiffeIds()).extracting(SpiffeIdPattern::isPrefix).containsExactly(false, true);
        assertThat(c.jwksUri()).isEqualTo(URI.create("https://spire.example.org:8443/bundle"));
        SvidPolicy p = c.policy();
        assertThat(p.issuer()).isEqualTo("https://oidc.example.org");
        assertThat(p.audiences()).containsExactly("spiffe://example.org/keycloak", "https://kc.internal/realms/apps");
        assertThat(p.maxLifetime()).isEqualTo(Duration.ofMinutes(10));
        assertThat(p.clockSkew()).isZero();
        assertThat(p.singleUse()).isTrue();
        assertThat(p.algorithms()).containsExactly("ES256", "RS256");
    }

    @Test
    void issuerAloneIsAKeySource() {
        Map<String, String> m = with("svid.jwks.uri", null);
        m.put("svid.issuer", "https://oidc.example.org");
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).isEmpty();
        assertThat(c.jwksUri()).isNull();
        assertThat(c.policy().issuer()).isEqualTo("https://oidc.example.org");
    }

    @Test
    void plainHttpIsAcceptedHereAndLeftToTheRealmsSslPolicy() {
        assertThat(SvidClientConfig.read(with("svid.jwks.uri", "http://spire-oidc:8080/keys")).errors()).isEmpty();
    }

    @Test
    void explicitFalseSingleUse() {
        SvidClientConfig c = SvidClientConfig.read(with("svid.single.use", "false"));
        assertThat(c.errors()).isEmpty();
        assertThat(c.policy().singleUse()).isFalse();
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                arguments("svid.max.lifetime", "-1", "svid.max.lifetime: must be between 1 and 86400 seconds, not -1"),
                arguments("svid.max.lifetime", "0", "svid.max.lifetime: must be between 1 and 86400 seconds, not 0"),
                arguments("svid.max.lifetime", "86401", "svid.max.lifetime: must be between 1 and 86400 seconds"),
                arguments("svid.max.lifetime", "1h", "svid.max.lifetime: must be a whole number of seconds, not '1h'"),
                arguments("svid.max.lifetime", "3600.5", "svid.max.lifetime: must be a whole number of seconds"),
                arguments("svid.max.lifetime", "99999999999999999999", "svid.max.lifetime: must be a whole number of seconds"),
                arguments("svid.clock.skew", "-5", "svid.clock.skew: must be between 0 and 600 seconds, not -5"),
                arguments("svid.clock.skew", "601", "svid.clock.skew: must be between 0 and 600 seconds, not 601"),
                arguments("svid.clock.skew", "thirty", "svid.clock.skew: must be a whole number of seconds, not 'thirty'"),
                arguments("svid.single.use", "yes", "svid.single.use: must be true or false, not 'yes'"),
                arguments("svid.single.use", "1", "svid.single.use: must be true or false"),
                arguments("svid.jwks.uri", "not a url", "svid.jwks.uri: 'not a url' is not a URL"),
                arguments("svid.jwks.uri", "ftp://oidc.example.org/keys", "svid.jwks.uri: 'ftp://oidc.example.org/keys' is not an absolute http(s) URL"),
                arguments("svid.jwks.uri", "file:///etc/keys.json", "svid.jwks.uri: 'file:///etc/keys.json' is not an absolute http(s) URL"),
                arguments("svid.jwks.uri", "/keys", "svid.jwks.uri: '/keys' is not an absolute http(s) URL"),
                arguments("svid.jwks.uri", "oidc.example.org/keys", "is not an absolute http(s) URL"),
                arguments("svid.jwks.uri", "https://user:pw@oidc.example.org/keys", "svid.jwks.uri: 'https://user:pw@oidc.example.org/keys' must not contain user info or a fragment"),
                arguments("svid.jwks.uri", "https://oidc.example.org/keys#x", "svid.jwks.uri: 'https://oidc.example.org/keys#x' must not contain user info"),
                // a key source is a fixed resource, never one a query selects
                arguments("svid.jwks.uri", "https://oidc.example.org/keys?tenant=b", "svid.jwks.uri: 'https://oidc.example.org/keys?tenant=b' must not have a query"),
                arguments("svid.jwks.uri", "https://oidc.example.org/keys?", "must not have a query"),
                arguments("svid.algorithms", "HS256", "svid.algorithms: [HS256] not supported; choose from"),
                arguments("svid.algorithms", "ES256##none", "svid.algorithms: [none] not supported"),
                arguments("svid.algorithms", "es256", "svid.algorithms: [es256] not supported"),
                arguments("svid.algorithms", "EdDSA,ES256", "svid.algorithms: [EdDSA] not supported"),
                arguments("svid.spiffe.id", "spiffe://example.org/a*", "svid.spiffe.id: SPIFFE ID pattern 'spiffe://example.org/a*' has '*' in the middle"),
                arguments("svid.spiffe.id", "spiffe://example.org/*/b", "svid.spiffe.id: "),
                arguments("svid.spiffe.id", ID + "##spiffe://Example.org/x", "svid.spiffe.id: SPIFFE ID 'spiffe://Example.org/x' has an invalid trust domain"),
                arguments("svid.spiffe.id", "payments", "svid.spiffe.id: 'payments' is not a SPIFFE ID"),
                arguments("svid.spiffe.id", "spiffe://example.org", "svid.spiffe.id: SPIFFE ID 'spiffe://example.org' has no path"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void invalidValuesProduceErrorsNamingTheAttribute(String name, String value, String message) {
        SvidClientConfig c = SvidClientConfig.read(with(name, value));
        assertThat(c.errors()).singleElement().asString().startsWith(name + ": ").contains(message);
        assertThat(c.validate("payments")).contains(c.errors().get(0));
    }

    @Test
    void invalidValuesFallBackToSafeDefaults() {
        Map<String, String> m = minimal();
        m.put("svid.max.lifetime", "-1");
        m.put("svid.clock.skew", "9999");
        m.put("svid.single.use", "maybe");
        m.put("svid.algorithms", "HS256##ES256");
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).hasSize(4);
        assertThat(c.policy().maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(c.policy().clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.policy().singleUse()).isFalse();
        assertThat(c.policy().algorithms()).hasSize(9);

        SvidClientConfig badIds = SvidClientConfig.read(with("svid.spiffe.id", ID + "##spiffe://x/a*"));
        assertThat(badIds.spiffeIds()).isEmpty();
        SvidClientConfig badUri = SvidClientConfig.read(with("svid.jwks.uri", "ftp://x/keys"));
        assertThat(badUri.jwksUri()).isNull();
    }

    @Test
    void errorsAreTypedByAttributeAndKind() {
        Map<String, String> m = with("svid.jwks.uri", null);
        m.put("svid.clock.skew", "x");
        List<ConfigError> errors = SvidClientConfig.read(m).errors();
        assertThat(errors).extracting(ConfigError::attribute).containsExactly("svid.jwks.uri", "svid.clock.skew");
        assertThat(errors).extracting(ConfigError::kind).containsExactly(ConfigError.Kind.MISSING, ConfigError.Kind.INVALID);
        assertThat(errors.get(1).message()).isEqualTo("svid.clock.skew: must be a whole number of seconds, not 'x'");

        ConfigError required = SvidClientConfig.read(with("svid.spiffe.id", null)).validate("payments").get(0);
        assertThat(required.attribute()).isEqualTo("svid.spiffe.id");
        assertThat(required.kind()).isEqualTo(ConfigError.Kind.MISSING);
    }

    @Test
    void neitherJwksUriNorIssuerIsAnError() {
        SvidClientConfig c = SvidClientConfig.read(with("svid.jwks.uri", null));
        assertThat(c.errors()).singleElement().asString()
                .contains("set svid.jwks.uri").contains("or svid.issuer to discover it");
        assertThat(SvidClientConfig.read(with("svid.jwks.uri", "   ")).errors()).hasSize(1);
    }

    @Test
    void aPinnedIssuerWithAQueryOrFragmentIsRefusedAlsoWhenTheKeySourceIsSet() {
        for (String issuer : new String[]{"https://oidc.example.org?x=1", "https://oidc.example.org#f"}) {
            SvidClientConfig c = SvidClientConfig.read(with("svid.issuer", issuer));
            assertThat(c.errors()).as(issuer).singleElement().satisfies(e -> {
                assertThat(e.attribute()).isEqualTo("svid.issuer");
                assertThat(e.message()).contains("must not have a query or fragment");
            });
        }
        assertThat(SvidClientConfig.read(with("svid.issuer", "spiffe-issuer-without-url-form")).errors()).isEmpty();
    }

    static Stream<Arguments> invalidIssuers() {
        return Stream.of(
                arguments("ftp://oidc.example.org", "svid.issuer: 'ftp://oidc.example.org' is not an absolute http(s) URL"),
                arguments("oidc.example.org", "svid.issuer: 'oidc.example.org' is not an absolute http(s) URL"),
                arguments("https://u@oidc.example.org", "svid.issuer: 'https://u@oidc.example.org' must not contain user info"),
                arguments("https://oidc.example.org?next=/latest/meta-data", "svid.issuer: 'https://oidc.example.org?next=/latest/meta-data' must not have a query"),
                arguments(" https://oidc.example.org", "svid.issuer: must not start or end with white space"),
                arguments("https://oidc.example.org\t", "svid.issuer: must not start or end with white space"));
    }

    @ParameterizedTest
    @MethodSource("invalidIssuers")
    void issuerUsedForDiscoveryMustBeAnHttpUrlWithoutWhiteSpace(String issuer, String message) {
        Map<String, String> m = with("svid.jwks.uri", null);
        m.put("svid.issuer", issuer);
        assertThat(SvidClientConfig.read(m).errors()).singleElement().asString().contains(message);
    }

    @Test
    void issuerWithWhiteSpaceIsAnErrorEvenWithAJwksUri() {
        assertThat(SvidClientConfig.read(with("svid.issuer", "https://oidc.example.org ")).errors())
                .singleElement().asString().startsWith("svid.issuer: must not start or end with white space");
    }

    @Test
    void endpointAudiencesAreAnOptIn() {
        Map<String, String> m = minimal();
        m.put("svid.audience.endpoints", "TRUE");
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).isEmpty();
        assertThat(c.policy().endpointAudiences()).isTrue();

        m.put("svid.audience.endpoints", "yes");
        assertThat(SvidClientConfig.read(m).errors()).extracting(ConfigError::message)
                .containsExactly("svid.audience.endpoints: must be true or false, not 'yes'");
    }

    /** Issuer only and endpoint audiences contradict each other: refused at save, the strict one applies meanwhile. */
    @Test
    void endpointAudiencesWithIssuerOnlyAreRefused() {
        Map<String, String> m = minimal();
        m.put("svid.audience.endpoints", "true");
        m.put("svid.audience.issuer.only", "true");
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.validate("payments")).singleElement().satisfies(e -> {
            assertThat(e.attribute()).isEqualTo("svid.audience.endpoints");
            assertThat(e.message()).isEqualTo("svid.audience.endpoints: accepts the token endpoint URL and the URL of the"
                    + " endpoint called, which svid.audience.issuer.only refuses; turn one of them off");
        });
        assertThat(c.policy().endpointAudiences()).isFalse();
        assertThat(c.policy().issuerOnlyAudience()).isTrue();
    }

    @Test
    void audiencesAndAlgorithmsAreTrimmedAndDeduplicated() {
        Map<String, String> m = minimal();
        m.put("svid.audiences", " a ## b ##a## ");
        m.put("svid.algorithms", "ES256 ## ES256## PS256");
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).isEmpty();
        assertThat(c.policy().audiences()).isEqualTo(Set.of("a", "b"));
        assertThat(c.policy().algorithms()).containsExactly("ES256", "PS256");
    }

    @Test
    void validateRequiresASpiffeIdUnlessTheClientIdIsOne() {
        Map<String, String> m = with("svid.spiffe.id", null);
        SvidClientConfig c = SvidClientConfig.read(m);
        assertThat(c.errors()).isEmpty();
        assertThat(c.validate("payments")).singleElement().asString()
                .startsWith("svid.spiffe.id: required for clients that authenticate with a JWT-SVID");
        assertThat(c.validate(ID)).isEmpty();

        SvidClientConfig blank = SvidClientConfig.read(with("svid.spiffe.id", " ## "));
        assertThat(blank.validate("payments")).singleElement().asString().startsWith("svid.spiffe.id: required");
    }

    @Test
    void oneTrustDomainAcrossIdsPatternsAndAClientIdThatIsASpiffeId() {
        SvidClientConfig c = SvidClientConfig.read(with("svid.spiffe.id",
                ID + "##spiffe://example.org/ns/agents/*"));

        assertThat(c.trustDomains("payments")).containsExactly("example.org");
        assertThat(c.trustDomains("spiffe://example.org/ns/apps/sa/other")).containsExactly("example.org");
        assertThat(c.trustDomainError("payments")).isNull();
        assertThat(c.validate("payments")).isEmpty();
    }

    @Test
    void spiffeIdsOfTwoTrustDomainsAreRefusedNamingTheAttribute() {
        SvidClientConfig c = SvidClientConfig.read(with("svid.spiffe.id", ID + "##spiffe://b.example/ns/apps/sa/payments"));

        assertThat(c.trustDomains("payments")).containsExactly("b.example", "example.org");
        assertThat(c.trustDomainError("payments").message()).isEqualTo("svid.spiffe.id: accepts SPIFFE IDs of 2 trust domains"
                + " [b.example, example.org], but a key source serves exactly one trust domain; use one client per trust domain,"
                + " or leave svid.jwks.uri and svid.issuer empty and give each of these trust domains a trust-domain entry");
        assertThat(c.validate("payments")).containsExactly(c.trustDomainError("payments"));
        assertThat(c.errors()).as("read at request time: the authenticator refuses it as trust_domain_mismatch").isEmpty();
    }

    @Test
    void withoutOwnKeySourceAClientSpanningTrustDomainsIsValidOnlyWhenEveryTrustDomainHasAnEntry() {
        Map<String, String> attrs = new java.util.HashMap<>();
        attrs.put("svid.spiffe.id", ID + "##spiffe://b.example/ns/apps/sa/payments");
        SvidClientConfig c = SvidClientConfig.read(attrs);

        assertThat(c.hasOwnKeySource()).isFalse();
        assertThat(c.validate("payments", td -> true)).isEmpty();
        assertThat(c.validate("payments", "example.org"::equals)).extracting(ConfigError::attribute)
                .containsExactly("svid.spiffe.id", "svid.jwks.uri");
        assertThat(c.validate("payments")).extracting(ConfigError::attribute).containsExactly("svid.spiffe.id", "svid.jwks.uri");
    }

    @Test
    void anOwnKeySourceIsNeverReplacedByEntries() {
        SvidClientConfig c = SvidClientConfig.read(with("svid.spiffe.id", ID + "##spiffe://b.example/ns/apps/sa/payments"));

        assertThat(c.hasOwnKeySource()).isTrue();
        assertThat(c.validate("payments", td -> true)).containsExactly(c.trustDomainError("payments"));
    }

    @Test
    void aClientIdThatIsASpiffeIdOfAnotherTrustDomainCountsToo() {
        SvidClientConfig c = SvidClientConfig.read(minimal());

        assertThat(c.trustDomains("spiffe://b.example/ns/apps/sa/payments")).containsExactly("b.example", "example.org");
        assertThat(c.validate("spiffe://b.example/ns/apps/sa/payments")).singleElement().asString()
                .startsWith("svid.spiffe.id: accepts SPIFFE IDs of 2 trust domains");
        assertThat(SvidClientConfig.read(with("svid.spiffe.id", null)).trustDomains("spiffe://bad..id")).isEmpty();
    }

    @Test
    void issuerOnlyAudienceIsOffByDefaultAndReadInAnyCase() {
        assertThat(SvidClientConfig.read(minimal()).policy().issuerOnlyAudience()).isFalse();
        assertThat(SvidClientConfig.read(with("svid.audience.issuer.only", "TRUE")).policy().issuerOnlyAudience()).isTrue();
        assertThat(SvidClientConfig.read(with("svid.audience.issuer.only", "false")).policy().issuerOnlyAudience()).isFalse();
    }

    @Test
    void issuerOnlyAudienceRefusesAnythingButABooleanAndExtraAudiences() {
        SvidClientConfig notBool = SvidClientConfig.read(with("svid.audience.issuer.only", "yes"));
        assertThat(notBool.validate("payments")).extracting(ConfigError::message)
                .containsExactly("svid.audience.issuer.only: must be true or false, not 'yes'");
        assertThat(notBool.policy().issuerOnlyAudience()).isFalse();

        Map<String, String> both = with("svid.audience.issuer.only", "true");
        both.put("svid.audiences", "https://gateway.example");
        SvidClientConfig c = SvidClientConfig.read(both);
        assertThat(c.validate("payments")).extracting(ConfigError::attribute, ConfigError::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple("svid.audience.issuer.only", "svid.audience.issuer.only: accepts the realm issuer only,"
                + " so svid.audiences must be empty (it lists [https://gateway.example])"));
        assertThat(c.policy().audiences()).as("no extra audience is ever accepted in this mode").isEmpty();
    }

    @Test
    void validateReportsABadSpiffeIdOnceAndKeepsEveryError() {
        Map<String, String> m = with("svid.spiffe.id", "spiffe://x/a*");
        m.put("svid.clock.skew", "-1");
        List<ConfigError> errors = SvidClientConfig.read(m).validate("payments");
        assertThat(errors).hasSize(2);
        assertThat(errors).filteredOn(e -> e.message().startsWith("svid.spiffe.id")).singleElement().asString()
                .doesNotContain("required");
        assertThat(errors).anyMatch(e -> e.message().startsWith("svid.clock.skew"));
    }

    @Test
    void readsFromAnyAttributeSource() {
        assertThat(SvidClientConfig.read((Map<String, String>) null).errors()).hasSize(1);
        SvidClientConfig viaFunction = SvidClientConfig.read(minimal()::get);
        assertThat(viaFunction.errors()).isEmpty();
        assertThat(viaFunction.spiffeIds()).hasSize(1);
    }

    // ---- client-svid-x509 ----

    @Test
    void anX509ClientReadsItsSpiffeIdsBundleEndpointAndSkewOnly() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("svid.spiffe.id", "spiffe://example.org/ns/apps/*");
        m.put("svid.bundle.uri", "https://spire.example.org:8443/bundle");
        m.put("svid.clock.skew", "5");
        m.put("svid.jwks.uri", "not read by an X.509-SVID client");
        SvidClientConfig c = SvidClientConfig.readX509(m::get);

        assertThat(c.errors()).isEmpty();
        assertThat(c.method()).isEqualTo(SvidMethod.X509);
        assertThat(c.bundleUri()).hasToString("https://spire.example.org:8443/bundle");
        assertThat(c.hasOwnKeySource()).isTrue();
        assertThat(c.keySourceAttribute()).isEqualTo("svid.bundle.uri");
        assertThat(c.policy().clockSkew()).hasSeconds(5);
        assertThat(c.trustDomains("x509-apps")).containsExactly("example.org");
        assertThat(SvidClientConfig.read(m).bundleUri()).as("a JWT-SVID client has no bundle endpoint").isNull();
    }

    @Test
    void anX509ClientWithoutBundleEndpointNeedsATrustDomainEntry() {
        SvidClientConfig c = SvidClientConfig.read(SvidMethod.X509, Map.of("svid.spiffe.id", ID));

        assertThat(c.hasOwnKeySource()).isFalse();
        assertThat(c.errors()).singleElement().satisfies(e -> {
            assertThat(e.attribute()).isEqualTo("svid.bundle.uri");
            assertThat(SvidClientConfig.isMissingKeySource(e)).isTrue();
        });
        assertThat(c.validate("payments")).extracting(ConfigError::attribute).containsExactly("svid.bundle.uri");
        assertThat(c.validate("payments", td -> true)).as("the entry supplies the bundle").isEmpty();
    }

    @Test
    void anX509ClientsBadValuesNameTheirAttribute() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("svid.bundle.uri", "ftp://spire/bundle");
        m.put("svid.clock.skew", "601");
        List<ConfigError> errors = SvidClientConfig.readX509(m::get).validate("payments");

        assertThat(errors).extracting(ConfigError::attribute)
                .containsExactly("svid.spiffe.id", "svid.bundle.uri", "svid.clock.skew");
        assertThat(errors.get(0).message()).contains("required for clients that authenticate with an X.509-SVID");
    }

    @Test
    void anX509ClientWithItsOwnBundleServesOneTrustDomain() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("svid.spiffe.id", ID + "##spiffe://b.example/ns/apps/sa/payments");
        m.put("svid.bundle.uri", "https://spire.example.org/bundle");
        ConfigError error = SvidClientConfig.readX509(m::get).trustDomainError("payments");

        assertThat(error.attribute()).isEqualTo("svid.spiffe.id");
        assertThat(error.message()).endsWith("leave svid.bundle.uri empty and give each of these trust domains a trust-domain entry");
    }
}
