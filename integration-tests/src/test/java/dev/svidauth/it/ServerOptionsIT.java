package dev.svidauth.it;

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

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

import static dev.svidauth.it.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.SvidRealm.PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The development option {@code detailed-errors=true} on a server of its own: refused callers
 * read the full detail of the rejection in {@code error_description}, still escaped and cut; the
 * server says so at start-up (WARN) and in Server Info. The default (terse answers) is
 * {@link TerseErrorsIT}'s, on the shared server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DetailedErrorsIT {

    private static final String UNREACHABLE_ID = "spiffe://example.org/ns/detailed/sa/unreachable";

    private SpireEmulator spire;
    private KeycloakServer keycloak;
    private SvidRealm env;

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).x509Authority(true).start();
        try {
            keycloak = KeycloakServer.builder()
                    .distZip(Path.of(required("keycloak.dist.zip")))
                    .workDir(Path.of(required("keycloak.work.dir")).resolveSibling("keycloak-detailed-errors"))
                    .providerJar(Path.of(required("svid.provider.jar")))
                    .importRealm(Path.of(required("svid.realm.file")))
                    .env(SvidRealm.realmExportEnvironment(spire))
                    .option("--spi-client-authenticator--client-svid-jwt--detailed-errors=true")
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> System.out.println("[keycloak-detailed-errors] " + line))
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

    private static String required(String name) {
        return Objects.requireNonNull(System.getProperty(name), "system property " + name + " is not set (run through ./mvnw verify)");
    }
}
