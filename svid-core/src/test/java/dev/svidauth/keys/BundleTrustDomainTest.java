package dev.svidauth.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.svid.KeySourceKeyResolver;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A SPIFFE bundle names its trust domain through its X.509 authorities (URI SAN
 * {@code spiffe://<td>}): a bundle of another trust domain than the SVID's is refused, whatever
 * keys it publishes.
 */
class BundleTrustDomainTest {

    /** A self-signed P-256 CA with URI SAN spiffe://a.example (openssl req -x509 … -addext subjectAltName=URI:spiffe://a.example). */
    static final String CA_A_EXAMPLE = "MIIBsDCCAVagAwIBAgIUCd3cZlpQV3Hvp8CXwGr/Zz4DywkwCgYIKoZIzj0EAwIwHjELMAkGA1UEBhMCVVMxDzANBgNVBAoMBlNQSUZGRTAeFw0yNjEyMDExNTUwNTZaFw0zNjExMjgxNTUwNTZaMB4xCzAJBgNVBAYTAlVTMQ8wDQYDVQQKDAZTUElGRkUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARefZs0bHNoPCNOZMKpEdwMskJYB5LOubw9+svnNCHkd97TYb+BSjIEy14cggDep2oBFK1o3e6sVfEX0px7K0tQo3IwcDAdBgNVHQ4EFgQUYP9/I84OjtWg4Sn/AemVVG40IZAwHwYDVR0jBBgwFoAUYP9/I84OjtWg4Sn/AemVVG40IZAwHQYDVR0RBBYwFIYSc3BpZmZlOi8vYS5leGFtcGxlMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhANIX58R6BpKkMdcSO8Zkje78cVHIgqU0j8jasbKqQkMTAiA9eZQ+3gBSJgNmMhJ9tbLkUbbWDiKgViTSqxoJw6hiCA==";

    private static final URI SOURCE = URI.create("https://spire.a.example/bundle");
    private static final ECKey KEY = KeySetParserTest.generateEc(Curve.P_256, "k1");

    static byte[] bundleWithAuthority(String x5c) {
        String jwt = KEY.toPublicJWK().toJSONString();
        String ca = "{\"kty\":\"EC\",\"use\":\"x509-svid\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"x5c\":[\"" + x5c + "\"]}";
        return ("{\"spiffe_sequence\":1,\"keys\":[" + jwt.substring(0, jwt.length() - 1) + ",\"use\":\"jwt-svid\"}," + ca + "]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theX509AuthoritiesNameTheBundlesTrustDomain() throws KeySourceException {
        assertThat(KeySetParser.parse(SOURCE, bundleWithAuthority(CA_A_EXAMPLE)).trustDomains()).containsExactly("a.example");
    }

    @Test
    void aJwksOrAnUnreadableAuthorityNamesNone() throws KeySourceException {
        assertThat(KeySetParser.parse(SOURCE, KeySourceCacheTest.jwks(KEY)).trustDomains()).isEmpty();
        assertThat(KeySetParser.parse(SOURCE, bundleWithAuthority("bm90IGEgY2VydA==")).trustDomains()).isEmpty();
    }

    @Test
    void theCacheRefusesTheBundleOfAnotherTrustDomainAndServesItsOwn() throws KeySourceException {
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), Clock.systemUTC(), Runnable::run);
        KeySourceCacheTest.FakeFetcher fetcher = new KeySourceCacheTest.FakeFetcher();
        fetcher.body = bundleWithAuthority(CA_A_EXAMPLE);

        assertThat(cache.candidates(SOURCE, "k1", "ES256", fetcher, "a.example")).hasSize(1);
        assertThatThrownBy(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher, "b.example"))
                .isInstanceOf(KeySourceException.class)
                .hasMessageContaining("serves the bundle of trust domain 'a.example', not of the SVID's trust domain 'b.example'")
                .satisfies(e -> assertThat(KeySourceKeyResolver.rejection((KeySourceException) e).reason())
                        .isEqualTo(Reason.TRUST_DOMAIN_MISMATCH));
        assertThat(cache.candidates(SOURCE, "k1", "ES256", fetcher, null)).as("not checked without a trust domain").hasSize(1);
    }
}
