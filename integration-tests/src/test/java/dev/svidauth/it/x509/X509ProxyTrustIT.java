package dev.svidauth.it.x509;

import dev.svidauth.it.support.NginxAvailable;
import dev.svidauth.it.support.NginxKeycloak;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakServer;
import dev.svidauth.testkit.LocalNginx;
import dev.svidauth.testkit.ServerTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code client-svid-x509} with Keycloak's {@code nginx} certificate lookup but WITHOUT
 * {@code --proxy-trusted-addresses}: the configuration in which Keycloak treats every address as a
 * trusted proxy, so that anybody who has seen a workload's certificate (public by nature) could
 * send it in the {@value LocalNginx#CERT_HEADER} header straight to Keycloak over plain HTTP, with
 * no TLS and no private key. svid-auth fails closed there: a forwarded certificate is ignored
 * ({@code no_certificate}), also when the real proxy sends it, until the proxy trust is configured;
 * the server warns at start-up and Server Info says so. The same lookup with the proxy trust
 * configured is {@link X509ProxyIT} (200 through nginx).
 *
 * <p>One Keycloak of its own ({@link NginxKeycloak} without proxy trust), started once for this class.
 */
@ExtendWith(NginxAvailable.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class X509ProxyTrustIT {

    static final String WAREHOUSE = X509SvidIT.WAREHOUSE;
    static final String CLIENT = X509SvidIT.CLIENT;

    private SpireEmulator spire;
    private KeycloakServer keycloak;
    private LocalNginx nginx;
    private ServerTls tls;
    private NginxKeycloak fixture;

    @BeforeAll
    void start() throws IOException {
        fixture = NginxKeycloak.start(false);
        spire = fixture.spire;
        keycloak = fixture.keycloak;
        nginx = fixture.nginx;
        tls = fixture.tls;
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** A genuine X.509-SVID's certificate, sent as the header straight to Keycloak over plain HTTP: refused either way. */
    @Test
    void aSeenCertificateSentInTheHeaderStraightToKeycloakGetsNoToken() throws Exception {
        String header = escaped(spire.mintX509Svid(WAREHOUSE));

        for (String clientId : new String[]{CLIENT, null}) {
            clearEvents();
            Answer answer = direct(header, clientId);

            assertThat(answer.status).as("client_id=" + clientId + ": " + answer.body).isEqualTo(401);
            assertThat(answer.error()).isEqualTo("invalid_client");
            assertThat(answer.body).doesNotContain("access_token");
            assertOneLoginError("no_certificate");
        }
    }

    /** Even the real proxy's certificate is ignored until Keycloak's proxy trust names it: fail closed, not open. */
    @Test
    void throughTheRealProxyTheCertificateIsIgnoredUntilProxyTrustIsConfigured() {
        clearEvents();
        X509Svid svid = spire.mintX509Svid(WAREHOUSE);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(tls.clientContext(svid.chain(), svid.privateKey())).build();
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");

        Answer answer = FormPost.post(http, URI.create(nginx.baseUrl() + "/realms/" + SvidRealm.REALM
                + "/protocol/openid-connect/token"), form, null);

        assertThat(answer.status).as(answer.body).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertOneLoginError("no_certificate");
    }

    @Test
    void theServerWarnsAtStartUpAndServerInfoSaysForwardedCertificatesAreIgnored() throws Exception {
        JsonNode info = serverInfo().path("providers").path("client-authenticator").path("providers")
                .path("client-svid-x509").path("operationalInfo");

        assertThat(info.path("client-certificate-lookup").asText()).isEqualTo("nginx");
        assertThat(info.path("forwarded-client-certificates").asText()).startsWith("IGNORED: lookup 'nginx' reads a request header")
                .contains("proxy-trusted-addresses is not set");
        assertThat(keycloak.logText()).contains("WARN").contains("svid-auth: the X.509 client certificate lookup 'nginx' reads the"
                + " client certificate from a request header, but Keycloak's proxy-trusted-addresses is not set");
    }

    // ---------------------------------------------------------------------------------------

    static String escaped(X509Svid svid) {
        return URLEncoder.encode(svid.chainPem(), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Answer direct(String certificateHeader, String clientId) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(keycloak.tokenEndpoint(SvidRealm.REALM))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header(LocalNginx.CERT_HEADER, certificateHeader)
                        .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(form))).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    private JsonNode serverInfo() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(keycloak.baseUrl() + "/admin/serverinfo"))
                .header("Authorization", "Bearer " + keycloak.admin().accessToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
        return dev.svidauth.testkit.KeycloakAdmin.json().readTree(r.body());
    }

    private void clearEvents() {
        keycloak.admin().delete("/" + SvidRealm.REALM + "/events");
    }

    private void assertOneLoginError(String reason) {
        List<JsonNode> errors = keycloak.admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR");
        assertThat(errors).as("CLIENT_LOGIN_ERROR events").hasSize(1);
        assertThat(errors.get(0).path("details").path("reason").asText()).isEqualTo(reason);
    }
}
