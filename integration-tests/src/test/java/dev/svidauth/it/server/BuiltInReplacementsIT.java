package dev.svidauth.it.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static dev.svidauth.testkit.SystemProperties.required;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two Keycloak built-ins the JAR replaces, switched off on one server of its own
 * ({@code replace-client-validation=false}, {@code replace-client-registration=false}): Keycloak's
 * own providers answer, what svid-auth's added is gone (and shown as gone), and SVID client
 * authentication keeps working. The defaults (both replacements on) are what every other test
 * runs: {@code ConfigValidationIT} refuses the bad setting stored here, {@code DynamicRegistrationIT}
 * registers the SPIFFE metadata refused here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuiltInReplacementsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SpireEmulator spire;
    private KeycloakServer keycloak;
    private SvidRealm env;
    private String initialAccessToken;

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).x509Authority(true).start();
        try {
            keycloak = KeycloakServer.builder()
                    .distZip(Path.of(required("keycloak.dist.zip")))
                    .workDir(Path.of(required("keycloak.work.dir")).resolveSibling("keycloak-built-ins"))
                    .providerJar(Path.of(required("svid.provider.jar")))
                    .importRealm(Path.of(required("svid.realm.file")))
                    .env(SvidRealm.realmExportEnvironment(spire))
                    .option("--spi-client-authenticator--client-svid-jwt--replace-client-validation=false")
                    .option("--spi-client-authenticator--client-svid-jwt--replace-client-registration=false")
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> System.out.println("[keycloak-built-ins] " + line))
                    .start();
        } catch (RuntimeException e) {
            spire.close();
            throw e;
        }
        env = new SvidRealm(spire, keycloak, null, null, null);
        initialAccessToken = env.admin().post("/" + REALM + "/clients-initial-access",
                Map.of("count", 20, "expiration", 3600)).path("token").asText();
        assertThat(initialAccessToken).isNotEmpty();
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
    void serverInfoAndTheLogSayWhatIsSwitchedOff() {
        JsonNode info = env.serverInfo().path("providers").path("client-authenticator").path("providers")
                .path("client-svid-jwt").path("operationalInfo");
        assertThat(info.path("replace-client-validation").asText()).isEqualTo("false");
        assertThat(info.path("replace-client-registration").asText()).isEqualTo("false");
        assertThat(keycloak.logText()).contains("WARN")
                .contains("replace-client-validation=false: Keycloak's own client validation serves")
                .contains("replace-client-registration=false: Keycloak's own openid-connect and default client registration");
    }

    /** What stays: the authenticators, the flow, the trust-domain entry and the mapper of the shipped realm. */
    @Test
    void jwtSvidClientAuthenticationStillWorks() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(PAYMENTS), null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("payments-api");
        assertThat(answer.accessToken().path("spiffe_id").asText()).isEqualTo(PAYMENTS);
    }

    /**
     * Keycloak's own validation stores a setting svid-auth's refuses on save (ConfigValidationIT);
     * the client is then refused at the token endpoint, naming the setting in the event.
     */
    @Test
    void aBadSvidSettingIsStoredAndRefusedOnlyAtRequestTime() {
        String spiffeId = "spiffe://example.org/ns/built-ins/sa/lifetime";
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.spiffe.id", spiffeId);
        attributes.put("svid.max.lifetime", "one hour");
        OwnKeySource.deleteClient(env, "built-ins-lifetime");

        HttpResponse<String> saved = env.admin().send("POST", "/" + REALM + "/clients",
                SvidRealm.svidClient("built-ins-lifetime", attributes));

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(201);
        assertThat(env.admin().client(REALM, "built-ins-lifetime").path("attributes").path("svid.max.lifetime").asText())
                .isEqualTo("one hour");
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(spiffeId), "built-ins-lifetime");
        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        JsonNode event = env.lastLoginError();
        assertThat(event.path("details").path("reason").asText()).as(event.toString()).isEqualTo("client_misconfigured");
        assertThat(Rejections.detail(event)).contains("svid.max.lifetime");
    }

    /**
     * Keycloak's own {@code openid-connect} registration knows no SPIFFE client metadata
     * (svid-auth's registers this request: DynamicRegistrationIT), and registers ordinary clients
     * as ever.
     */
    @Test
    void keycloaksOwnOpenIdConnectRegistrationAnswers() throws Exception {
        HttpResponse<String> spiffe = SvidRealm.register(URI.create(env.audience()), initialAccessToken,
                SvidRealm.registrationMetadata("built-ins-dcr", "spiffe://example.org/ns/built-ins/sa/dcr", null, null));

        assertThat(spiffe.statusCode()).as(spiffe.body()).isEqualTo(400);
        assertThat(spiffe.body()).contains("spiffe_id");
        assertThat(clientsNamed("built-ins-dcr")).isEmpty();

        Map<String, Object> plain = new LinkedHashMap<>();
        plain.put("client_name", "built-ins-plain");
        plain.put("redirect_uris", List.of("https://app.example/cb"));
        HttpResponse<String> registered = SvidRealm.register(URI.create(env.audience()), initialAccessToken, plain);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        assertThat(JSON.readTree(registered.body()).path("token_endpoint_auth_method").asText()).isEqualTo("client_secret_basic");
    }

    /**
     * Keycloak's own {@code default} registration no longer applies the {@code svid-registration}
     * policy's defaults: a registrant stores an SVID client with key material of its own. The
     * policy, added to the realm's policies for authenticated requests, refuses it again.
     */
    @Test
    void theRegistrationPolicyAppliesOnlyWhereTheRealmAddsIt() throws Exception {
        String realmId = env.admin().get("/" + REALM).path("id").asText();
        Map<String, String> attributes = Map.of("svid.spiffe.id", "spiffe://partner.test/ns/built-ins/sa/own-keys",
                "svid.jwks.uri", spire.jwksUrl().toString());

        HttpResponse<String> lenient = registerDefault(SvidRealm.svidClient("built-ins-own-keys", attributes));

        assertThat(lenient.statusCode()).as(lenient.body()).isEqualTo(201);
        assertThat(env.admin().client(REALM, "built-ins-own-keys").path("attributes").path("svid.jwks.uri").asText())
                .isEqualTo(spire.jwksUrl().toString());

        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("name", "svid-registration");
        policy.put("providerId", "svid-registration");
        policy.put("providerType", "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy");
        policy.put("subType", "authenticated");
        policy.put("parentId", realmId);
        policy.put("config", Map.of());
        HttpResponse<String> added = env.admin().send("POST", "/" + REALM + "/components", policy);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        String location = added.headers().firstValue("Location").orElseThrow();
        try {
            HttpResponse<String> refused = registerDefault(SvidRealm.svidClient("built-ins-own-keys-2", attributes));

            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            assertThat(refused.body()).contains("registrants may not supply key material");
            assertThat(env.admin().send("GET", "/" + REALM + "/clients?clientId=built-ins-own-keys-2", null).body())
                    .doesNotContain("built-ins-own-keys-2");
        } finally {
            env.admin().delete("/" + REALM + "/components/" + location.substring(location.lastIndexOf('/') + 1));
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    /** POST to Keycloak's {@code default} registration endpoint (a client representation) with the initial access token. */
    private HttpResponse<String> registerDefault(Map<String, Object> client) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(env.audience() + "/clients-registrations/default"))
                .header("Authorization", "Bearer " + initialAccessToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(client)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> clientsNamed(String name) {
        List<JsonNode> found = new java.util.ArrayList<>();
        for (JsonNode c : env.admin().get("/" + REALM + "/clients?max=10000")) {
            if (name.equals(c.path("name").asText())) {
                found.add(c);
            }
        }
        return found;
    }
}
