package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Forge;
import dev.svidauth.spire.X509Svid;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Starts a real Keycloak with an HTTPS listener that requests client certificates and trusts the
 * SPIRE emulator's X.509 bundle file, from the distribution zip named by
 * {@code -Dkeycloak.dist.zip=...}; skipped without it. Work directory
 * {@code target/kc-https-smoke} unless {@code -Dkeycloak.https.smoke.dir=...}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakHttpsSmokeTest {

    private static final String ID = "spiffe://example.org/testkit/https-smoke";

    private SpireEmulator spire;
    private KeycloakServer kc;

    @BeforeAll
    void start() {
        String zip = System.getProperty(KeycloakExtension.DIST_ZIP);
        assumeTrue(zip != null && !zip.isBlank(), "set -D" + KeycloakExtension.DIST_ZIP + " to run the smoke test");
        Path workDir = Path.of(System.getProperty("keycloak.https.smoke.dir", "target/kc-https-smoke"));
        spire = SpireEmulator.builder().x509AutoRotation(false).start();
        Path bundle = workDir.resolve("spire").resolve("bundle.pem");
        spire.keepX509BundlePemUpdated(bundle);
        kc = KeycloakServer.builder()
                .distZip(Path.of(zip))
                .workDir(workDir)
                .httpsTrustStore(bundle)
                .start();
    }

    @AfterAll
    void stop() {
        if (kc != null) {
            kc.close();
        }
        if (spire != null) {
            spire.close();
        }
    }

    @Test
    void servesHttpsNextToHttpAndPlainManagement() throws Exception {
        assertThat(kc.httpsEnabled()).isTrue();
        assertThat(get(kc.serverTls().clientContext(), kc.httpsRealmUrl("master")).statusCode()).isEqualTo(200);
        assertThat(get(null, kc.realmUrl("master")).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get(null, URI.create("http://127.0.0.1:" + kc.managementPort() + "/health/ready"));
        assertThat(Readiness.isUp(ready.statusCode(), ready.body())).isTrue();
    }

    @Test
    void acceptsSvidsOfTheBundleAndRefusesOthersAtTheHandshake() throws Exception {
        X509Svid svid = spire.mintX509Svid(ID);
        assertThat(get(client(svid), kc.httpsRealmUrl("master")).statusCode()).isEqualTo(200);

        X509Svid selfSigned = spire.x509Forge().defective(X509Forge.Defect.SELF_SIGNED, ID);
        assertThatThrownBy(() -> get(client(selfSigned), kc.httpsRealmUrl("master"))).isInstanceOf(IOException.class);
    }

    /** The next CA is published in the bundle file; Keycloak trusts it after its next reload (30 s). */
    @Test
    void reloadsTheBundleFile() throws Exception {
        spire.prepareX509Rotation();
        X509Svid fromNext = spire.x509Forge().leaf(ID).signedBy(spire.nextX509Authority().orElseThrow()).mint();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                assertThat(get(client(fromNext), kc.httpsRealmUrl("master")).statusCode()).isEqualTo(200);
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(2000);
            }
        }
        throw new AssertionError("the next CA was not trusted within 90 s", last);
    }

    private SSLContext client(X509Svid svid) {
        return kc.serverTls().clientContext(svid.chain(), svid.privateKey());
    }

    private static HttpResponse<String> get(SSLContext tls, URI uri) throws IOException, InterruptedException {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
