package dev.svidauth.it.server;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.testkit.SystemProperties.required;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Provider options that change what every request sees, on one server of their own started with
 * both (so that the shared server keeps the defaults):
 * <ul>
 *   <li>{@code detailed-errors=true}, for development: refused callers read the full detail of the
 *       rejection in {@code error_description}, still escaped and cut; the server says so at
 *       start-up (WARN) and in Server Info. The default (terse answers) is {@code TerseErrorsIT}'s.</li>
 *   <li>{@code key-source-allowed-hosts=127.0.0.1}: the only host key sources may use; a client
 *       naming another is refused on save, and a JWKS URI that OIDC discovery names on another host
 *       is refused at request time ({@code client_misconfigured}).</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerOptionsIT {

    /** Every key source of this server (the SPIRE emulators, the unreachable one) is on this host. */
    private static final String ALLOWED_HOST = "127.0.0.1";
    private static final String OUTSIDE_CLIENT = "allowlist-outside";
    private static final String UNREACHABLE_ID = "spiffe://unreachable-keys.test/ns/detailed/sa/unreachable";

    private SpireEmulator spire;
    private KeycloakServer keycloak;
    private SvidRealm env;

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).x509Authority(true).start();
        try {
            keycloak = KeycloakServer.builder()
                    .distZip(Path.of(required("keycloak.dist.zip")))
                    .workDir(Path.of(required("keycloak.work.dir")).resolveSibling("keycloak-server-options"))
                    .providerJar(Path.of(required("svid.provider.jar")))
                    .importRealm(Path.of(required("svid.realm.file")))
                    .env(SvidRealm.realmExportEnvironment(spire))
                    .option("--spi-client-authenticator--client-svid-jwt--detailed-errors=true")
                    .option("--spi-client-authenticator--client-svid-jwt--key-source-allowed-hosts=" + ALLOWED_HOST)
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> System.out.println("[keycloak-server-options] " + line))
                    .start();
        } catch (RuntimeException e) {
            spire.close();
            throw e;
        }
        env = new SvidRealm(spire, keycloak, null, null, null);
        env.createSvidClient("detailed-unreachable", UNREACHABLE_ID, Map.of("svid.jwks.uri", "http://127.0.0.1:1/keys"), true);
    }

    @AfterAll
    void stop() {
        if (env != null) {
            env.close();
        } else if (spire != null) {
            spire.close();
        }
    }

    @Test
    void theServerWarnsAtStartUpAndShowsTheOptionInServerInfo() {
        assertThat(keycloak.logText()).contains("WARN").contains("detailed-errors=true");
        JsonNode provider = env.serverInfo().path("providers").path("client-authenticator").path("providers").path("client-svid-jwt");
        assertThat(provider.path("operationalInfo").path("detailed-errors").asText()).isEqualTo("true");
    }

    @Test
    void callersReadTheDetail() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).generate();
        String svid = Forge.sign(attacker, "ES256", Forge.header("ES256", "k1"), Forge.claims(UNREACHABLE_ID, env.audience(), "x"));

        FormPost.Answer answer = env.token(svid);

        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertThat(answer.description()).contains("http://127.0.0.1:1/keys").contains("is unavailable");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("key_source_unavailable");
    }

    @Test
    void theDetailIsStillEscapedAndCut() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(PAYMENTS), "made-up\nINJECTED" + "z".repeat(2000));

        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.description()).contains("client_id 'made-up\\nINJECTED").doesNotContain("\n")
                .hasSizeLessThanOrEqualTo(1024).doesNotContain("z".repeat(100));
    }

    @Test
    void theAllowlistIsShownInServerInfo() {
        JsonNode provider = env.serverInfo().path("providers").path("client-authenticator").path("providers").path("client-svid-jwt");
        assertThat(provider.path("operationalInfo").path("key-source-allowed-hosts").asText()).contains(ALLOWED_HOST);
    }

    /** A client naming a key source on a host the allowlist does not name: 400 naming the attribute and the option, nothing stored. */
    @Test
    void aKeySourceOutsideTheAllowlistIsRefusedOnSave() {
        OwnKeySource.deleteClient(env, OUTSIDE_CLIENT);
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(OUTSIDE_CLIENT, Map.of("svid.spiffe.id", "spiffe://allowlist.test/ns/apps/sa/outside",
                        "svid.jwks.uri", "https://keys.partner.test/keys")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("svid.jwks.uri").contains("key-source-allowed-hosts");
        assertThat(env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(OUTSIDE_CLIENT))).isEmpty();
    }

    /** The same client on the allowed host is stored: the allowlist refuses hosts, not key sources. */
    @Test
    void aKeySourceOnTheAllowedHostIsSaved() {
        OwnKeySource.deleteClient(env, OUTSIDE_CLIENT);
        try {
            HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                    OwnKeySource.representation(OUTSIDE_CLIENT, Map.of("svid.spiffe.id", "spiffe://allowlist.test/ns/apps/sa/outside",
                            "svid.jwks.uri", "http://" + ALLOWED_HOST + ":8081/keys")));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        } finally {
            OwnKeySource.deleteClient(env, OUTSIDE_CLIENT);
        }
    }

    /**
     * A pinned issuer on the allowed host whose discovery document names a JWKS URI on another host
     * (the same emulator, by its other name): the key fetch is refused at request time.
     */
    @Test
    void aDiscoveredJwksUriOutsideTheAllowlistIsRefusedAtRequestTime() {
        try (OwnKeySource src = OwnKeySource.start(env, "allowlist-discovery", b -> b.issuer(SpireEmulator.SELF),
                s -> Map.of("svid.issuer", s.issuer()))) {
            String elsewhere = src.spire.jwksUrl().toString().replace("://" + ALLOWED_HOST + ":", "://localhost:");
            assertThat(elsewhere).startsWith("http://localhost:");
            src.spire.serveRaw("{\"issuer\":\"" + src.spire.issuer() + "\",\"jwks_uri\":\"" + elsewhere + "\"}",
                    "application/json", SpireEmulator.Endpoint.DISCOVERY);

            FormPost.Answer answer = src.token(src.validSvid());

            assertThat(answer.status).as(answer.toString()).isEqualTo(401);
            JsonNode event = env.lastLoginError();
            assertThat(event.path("details").path("reason").asText()).as(event.toString()).isEqualTo("client_misconfigured");
            assertThat(Rejections.detail(event)).contains("key-source-allowed-hosts");
        }
    }
}
