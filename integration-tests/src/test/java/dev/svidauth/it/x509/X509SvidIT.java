package dev.svidauth.it.x509;

import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.X509Forge;
import dev.svidauth.spire.X509Issuer;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code client-svid-x509} behind Keycloak's own TLS: the shared server listens on HTTPS next to
 * HTTP with {@code --https-client-auth=request}, and its TLS layer trusts the trust domain's X.509
 * authorities through {@code --https-trust-store-file}, the bundle PEM file the SPIRE emulator keeps
 * current (as spiffe-helper's {@code svid_bundle_file_name} does), reloaded every 30 s
 * ({@code --https-certificates-reload-period}). The TLS layer only lets certificates of the trust
 * domain through; the authenticator then checks the X.509-SVID rules and the chain against the
 * bundle endpoint ({@code svid.bundle.uri}) of the SPIFFE ID's trust domain.
 */
@ExtendWith(SvidEnvironment.class)
class X509SvidIT {

    static final String WAREHOUSE = SvidRealm.WAREHOUSE;
    static final String CLIENT = SvidRealm.WAREHOUSE_CLIENT;

    private final SvidRealm env;

    X509SvidIT(SvidRealm env) {
        this.env = env;
    }

    @Test
    void workloadGetsAnAccessTokenBoundToItsCertificate() {
        X509Svid svid = env.spire().mintX509Svid(WAREHOUSE);

        Answer answer = env.x509Token(svid, null);

        assertThat(answer.status).as(answer.body).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo(CLIENT);
        assertThat(token.path("spiffe_id").asText()).isEqualTo(WAREHOUSE);
        assertThat(token.path("cnf").path("x5t#S256").asText()).isEqualTo(svid.thumbprintS256());

        JsonNode login = env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN", 1).get(0);
        assertThat(login.path("clientId").asText()).isEqualTo(CLIENT);
        assertThat(login.path("details").path("svid_spiffe_id").asText()).isEqualTo(WAREHOUSE);
        assertThat(login.path("details").path("client_auth_method").asText()).isEqualTo("client-svid-x509");
    }

    /**
     * Keycloak answers introspection only for a caller in the token's audience: the client's own
     * tokens name it there through an audience mapper, added for this test.
     */
    @Test
    void theClientIntrospectsItsTokenOverMutualTlsAndSeesTheCertificateBinding() {
        String clientPath = "/" + SvidRealm.REALM + "/clients/" + env.admin().client(SvidRealm.REALM, CLIENT).path("id").asText();
        Map<String, Object> audience = Map.of("name", "own audience", "protocol", "openid-connect",
                "protocolMapper", "oidc-audience-mapper", "config", Map.of("included.client.audience", CLIENT,
                        "access.token.claim", "true", "introspection.token.claim", "true"));
        env.admin().post(clientPath + "/protocol-mappers/models", audience);
        try {
            X509Svid svid = env.spire().mintX509Svid(WAREHOUSE);
            String accessToken = env.x509Token(svid, CLIENT).json.path("access_token").asText();

            Answer introspection = env.postTls(svid, URI.create(env.keycloak().httpsRealmUrl(SvidRealm.REALM)
                    + "/protocol/openid-connect/token/introspect"), Map.of("token", accessToken));

            assertThat(introspection.status).as(introspection.body).isEqualTo(200);
            JsonNode result = introspection.json;
            assertThat(result.path("active").asBoolean()).as(introspection.body).isTrue();
            assertThat(result.path("cnf").path("x5t#S256").asText()).isEqualTo(svid.thumbprintS256());
            assertThat(result.path("spiffe_id").asText()).isEqualTo(WAREHOUSE);
        } finally {
            for (JsonNode mapper : env.admin().get(clientPath + "/protocol-mappers/models")) {
                if ("own audience".equals(mapper.path("name").asText())) {
                    env.admin().delete(clientPath + "/protocol-mappers/models/" + mapper.path("id").asText());
                }
            }
        }
    }

    @Test
    void clientIdNamingTheClientIsAccepted() {
        Answer answer = env.x509Token(env.spire().mintX509Svid(WAREHOUSE), CLIENT);

        assertThat(answer.status).as(answer.body).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(CLIENT);
    }

    @Test
    void namingTheClientWithoutACertificateIsNoCertificate() {
        assertRejected(env.x509Token(null, CLIENT), "no_certificate", "client 'warehouse-api' authenticates with an X.509-SVID");
        // plain HTTP carries no certificate either
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", CLIENT);
        assertRejected(env.post(env.tokenEndpoint(), form, null), "no_certificate", "present it as TLS client certificate");
    }

    @Test
    void anSvidOfNoX509ClientIsUnknownClient() {
        assertRejected(env.x509Token(env.spire().mintX509Svid("spiffe://example.org/ns/apps/sa/nobody"), null),
                "unknown_client", "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/nobody'"
                        + " (set svid.spiffe.id on a client-svid-x509 client");
    }

    @Test
    void aCertificateNeverAuthenticatesAJwtSvidClient() {
        X509Svid svid = env.spire().mintX509Svid(SvidRealm.PAYMENTS);
        // payments-api uses client-svid-jwt: the certificate is not its credential
        assertRejected(env.x509Token(svid, "payments-api"), "missing_assertion", "authenticates with a JWT-SVID");
        // without client_id only X.509-SVID clients are candidates, however many JWT clients accept the ID
        assertRejected(env.x509Token(svid, null), "unknown_client", "client-svid-x509");
    }

    @Test
    void aJwtSvidSentOverMutualTlsIsJudgedAsAJwtSvid() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", SvidRealm.JWT_SPIFFE);
        // the audience is the issuer of the realm as reached over HTTPS
        form.put("client_assertion", env.spire().mint(SvidRealm.PAYMENTS, List.of(env.keycloak().httpsRealmUrl(SvidRealm.REALM).toString())));

        Answer answer = env.postTls(env.spire().mintX509Svid(WAREHOUSE), env.keycloak().httpsTokenEndpoint(SvidRealm.REALM), form);

        assertThat(answer.status).as(answer.body).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("payments-api");
    }

    @Test
    void certificatesTheTlsLayerLetsThroughAreStillCheckedAsX509Svids() {
        X509Forge forge = env.spire().x509Forge();
        assertRejected(env.x509Token(forge.defective(X509Forge.Defect.TWO_URI_SANS, WAREHOUSE), null), "bad_certificate",
                "exactly one URI SAN");
        assertRejected(env.x509Token(forge.defective(X509Forge.Defect.CA_LEAF, WAREHOUSE), CLIENT), "bad_certificate",
                "is a CA certificate");
        assertRejected(env.x509Token(forge.defective(X509Forge.Defect.WEAK_RSA_1024, WAREHOUSE), CLIENT), "bad_certificate",
                "1024-bit RSA key");
    }

    @Test
    void theTlsLayerRefusesAChainOfAnotherCaBeforeKeycloakSeesTheRequest() {
        X509Svid foreign = env.spire().x509Forge().defective(X509Forge.Defect.UNRELATED_CA, WAREHOUSE);

        assertThatThrownBy(() -> env.tlsClient(foreign).send(HttpRequest.newBuilder(env.keycloak().httpsTokenEndpoint(SvidRealm.REALM))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(Map.of("grant_type", "client_credentials")))).build(),
                HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    /**
     * SPIRE publishes the next X.509 CA in the bundle long before it signs with it (the emulator
     * rewrites the bundle file at once); Keycloak's TLS layer reloads the file within its reload
     * period (30 s), so by the time the new CA signs, handshakes accept its SVIDs. The
     * authenticator's bundle (from the bundle endpoint) is refetched on the first unknown
     * authority. SVIDs of the previous CA stay valid until they expire.
     */
    @Test
    void caRotationPublishedAheadReachesTheTlsLayerAndTheAuthenticator() throws Exception {
        X509Svid beforeRotation = env.spire().mintX509Svid(WAREHOUSE);
        env.spire().prepareX509Rotation();
        X509Issuer next = env.spire().nextX509Authority().orElseThrow();
        X509Svid fromNextCa = env.spire().x509Forge().leaf(WAREHOUSE).signedBy(next).mint();

        // Two layers pick the prepared CA up, each on its own clock: the TLS layer when it reloads the
        // bundle file, the authenticator on its first miss, whose refetch is rate-limited to one per
        // 10 s per bundle URL (an earlier test may have fetched the bundle moments ago).
        long started = System.nanoTime();
        long handshake = -1;
        Answer answer = null;
        while (System.nanoTime() - started < Duration.ofSeconds(75).toNanos()) {
            try {
                answer = env.x509Token(fromNextCa, CLIENT);
            } catch (RuntimeException e) {
                Thread.sleep(1000); // the TLS layer has not reloaded the bundle file yet
                continue;
            }
            if (handshake < 0) {
                handshake = (System.nanoTime() - started) / 1_000_000;
            }
            if (answer.status == 200 || !answer.body.contains("(untrusted_certificate)")) {
                break;
            }
            Thread.sleep(500); // the authenticator's refetch waits for the rate limit
        }
        long waited = (System.nanoTime() - started) / 1_000_000;
        System.out.println("[x509] TLS layer accepted the prepared CA " + handshake + " ms after it was published, the authenticator "
                + waited + " ms after");
        assertThat(answer).as("handshake with an SVID of the prepared CA within 75 s").isNotNull();
        assertThat(answer.status).as(answer.body).isEqualTo(200);
        assertThat(waited - handshake).as("the authenticator's wait after the handshake: the miss rate limit at most")
                .isLessThan(Duration.ofSeconds(12).toMillis());

        env.spire().activateNextX509Authority();
        X509Svid afterRotation = env.spire().mintX509Svid(WAREHOUSE);
        assertThat(afterRotation.chain().get(0).getIssuerX500Principal()).isEqualTo(next.certificate().getSubjectX500Principal());
        assertThat(env.x509Token(afterRotation, null).status).isEqualTo(200);
        assertThat(env.x509Token(beforeRotation, null).status).as("an SVID of the previous CA until it expires").isEqualTo(200);
    }

    private void assertRejected(Answer answer, String reason, String message) {
        Rejections.assertTerse(answer, reason);
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo(reason);
        assertThat(Rejections.detail(env.lastLoginError())).contains(message);
    }
}
