package dev.svidauth.keycloak.jwt;

import dev.svidauth.keycloak.client.SvidClientConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Step 6: the realm issuer is the only server audience by default; with the client's
 * {@code svid.audience.endpoints} also the token endpoint and the URL of the endpoint actually
 * called, when it is one of the realm's OIDC endpoints that authenticate clients, of this realm,
 * at this server's path.
 */
class CalledEndpointTest {

    private static final String ISSUER = "https://kc.example/auth/realms/svid";

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "none", value = {
            "https://kc.example/auth/realms/svid/protocol/openid-connect/token/introspect, /token/introspect",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/revoke, /revoke",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/ext/par/request, /ext/par/request",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/ext/ciba/auth, /ext/ciba/auth",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/auth/device, /auth/device",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/logout, /logout",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/revoke?x=1, /revoke",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/token, none",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/userinfo, none",
            "https://kc.example/auth/realms/svid/protocol/openid-connect/revoke/extra, none",
            "https://kc.example/auth/realms/other/protocol/openid-connect/revoke, none",
            "https://kc.example/auth/realms/svid2/protocol/openid-connect/revoke, none",
            "https://kc.example/realms/svid/protocol/openid-connect/revoke, none",
    })
    void onlyTheRealmsClientAuthenticatingEndpoints(String requested, String expected) {
        String oidcPath = JwtSvidVerification.RealmUrls.from(ISSUER).oidcPath();
        assertThat(JwtSvidVerification.calledEndpoint(URI.create(requested), oidcPath)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void aRealmsUrlsFollowFromItsIssuer() {
        JwtSvidVerification.RealmUrls urls = JwtSvidVerification.RealmUrls.from(ISSUER);
        assertThat(urls.token()).isEqualTo("https://kc.example/auth/realms/svid/protocol/openid-connect/token");
        assertThat(urls.oidcPath()).isEqualTo("/auth/realms/svid/protocol/openid-connect");
        assertThat(urls.issuerOnly()).containsExactly(ISSUER);
        assertThat(urls.issuerAndToken()).containsExactlyInAnyOrder(ISSUER, urls.token());
    }

    @org.junit.jupiter.api.Test
    void theIssuerAloneByDefaultTheEndpointsOnOptInAndNeverWithIssuerOnly() {
        JwtSvidVerification.RealmUrls urls = JwtSvidVerification.RealmUrls.from(ISSUER);
        URI introspect = URI.create(ISSUER + "/protocol/openid-connect/token/introspect");
        String token = ISSUER + "/protocol/openid-connect/token";

        assertThat(JwtSvidVerification.serverAudiences(urls, config(Map.of()), introspect)).containsExactly(ISSUER);
        assertThat(JwtSvidVerification.serverAudiences(urls, config(Map.of()), null)).containsExactly(ISSUER);
        assertThat(JwtSvidVerification.serverAudiences(urls, config(Map.of("svid.audience.endpoints", "true")), introspect))
                .containsExactlyInAnyOrder(ISSUER, token, introspect.toString());
        assertThat(JwtSvidVerification.serverAudiences(urls, config(Map.of("svid.audience.endpoints", "true")), null))
                .containsExactlyInAnyOrder(ISSUER, token);
        assertThat(JwtSvidVerification.serverAudiences(urls, config(Map.of("svid.audience.issuer.only", "true")), introspect))
                .containsExactly(ISSUER);
    }

    private static dev.svidauth.svid.SvidPolicy config(Map<String, String> audienceSettings) {
        Map<String, String> attributes = new java.util.HashMap<>(audienceSettings);
        attributes.put("svid.spiffe.id", "spiffe://example.org/ns/a/sa/b");
        attributes.put("svid.jwks.uri", "https://spire.example.org/keys");
        return SvidClientConfig.read(attributes).policy();
    }
}
