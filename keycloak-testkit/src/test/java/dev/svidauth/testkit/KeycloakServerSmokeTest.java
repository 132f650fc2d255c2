package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Starts a real Keycloak (no provider JAR) from the distribution zip named by
 * {@code -Dkeycloak.dist.zip=...}; skipped without it. Optional {@code -Dkeycloak.work.dir=...}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakServerSmokeTest {

    private static final String REALM = "testkit-smoke";
    private static final String CLIENT_ID = "spiffe://example.org/testkit/smoke";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private KeycloakServer kc;

    @BeforeAll
    void start() throws Exception {
        String zip = System.getProperty(KeycloakExtension.DIST_ZIP);
        assumeTrue(zip != null && !zip.isBlank(), "set -D" + KeycloakExtension.DIST_ZIP + " to run the smoke test");
        Path workDir = Path.of(System.getProperty(KeycloakExtension.WORK_DIR, "target/kc-smoke"));
        Files.createDirectories(workDir);
        Path realm = workDir.resolve("testkit-smoke-realm.json");
        try (InputStream in = getClass().getResourceAsStream("/testkit-smoke-realm.json")) {
            Files.copy(in, realm, StandardCopyOption.REPLACE_EXISTING);
        }
        kc = KeycloakServer.builder()
                .distZip(Path.of(zip))
                .workDir(workDir)
                .importRealm(realm)
                .start();
        System.out.printf("[keycloak] build: %s (%.1f s), startup: %.1f s%n",
                kc.rebuilt() ? "ran" : "reused", kc.buildTime().toMillis() / 1000.0,
                kc.startupTime().toMillis() / 1000.0);
    }

    @AfterAll
    void stop() {
        if (kc != null) {
            kc.close();
            assertThat(kc.isRunning()).isFalse();
        }
    }

    @Test
    void servesDiscoveryDocument() throws Exception {
        HttpResponse<String> response = get(URI.create(kc.realmUrl("master") + "/.well-known/openid-configuration"));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode doc = KeycloakAdmin.json().readTree(response.body());
        assertThat(doc.path("issuer").asText()).isEqualTo(kc.realmUrl("master").toString());
        assertThat(doc.path("token_endpoint").asText()).isEqualTo(kc.tokenEndpoint("master").toString());
    }

    @Test
    void adminApiWorks() {
        JsonNode master = kc.admin().get("/master");

        assertThat(master.path("realm").asText()).isEqualTo("master");
        assertThat(kc.admin().send("GET", "/no-such-realm", null).statusCode()).isEqualTo(404);
    }

    @Test
    void importsRealmFilesAndManagesClients() throws Exception {
        assertThat(kc.admin().get("/" + REALM).path("enabled").asBoolean()).isTrue();
        String uuid = kc.admin().clientUuid(REALM, CLIENT_ID);
        assertThat(uuid).isNotBlank();

        kc.admin().updateClientAttributes(REALM, CLIENT_ID, Map.of("testkit.attribute", "set"));

        JsonNode attributes = kc.admin().client(REALM, CLIENT_ID).path("attributes");
        assertThat(attributes.path("testkit.attribute").asText()).isEqualTo("set");
        assertThat(attributes.path("existing.attribute").asText()).isEqualTo("kept");
    }

    @Test
    void recordsAndClearsEvents() throws Exception {
        kc.admin().clearEvents(REALM);
        String form = "grant_type=client_credentials&client_id=" + KeycloakAdmin.encode(CLIENT_ID)
                + "&client_secret=smoke-secret";
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(kc.tokenEndpoint(REALM))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);

        List<JsonNode> events = kc.admin().events(REALM, "CLIENT_LOGIN");
        assertThat(events).hasSize(1);
        assertThat(events.get(0).path("clientId").asText()).isEqualTo(CLIENT_ID);

        kc.admin().clearEvents(REALM);
        assertThat(kc.admin().events(REALM, null)).isEmpty();
    }

    @Test
    void healthAndLogs() throws Exception {
        HttpResponse<String> ready = get(URI.create("http://127.0.0.1:" + kc.managementPort() + "/health/ready"));
        assertThat(Readiness.isUp(ready.statusCode(), ready.body())).isTrue();
        assertThat(kc.logText()).contains("kc.sh start").contains("started in");
        assertThat(kc.startupTime()).isPositive().isLessThan(Duration.ofSeconds(180));
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
