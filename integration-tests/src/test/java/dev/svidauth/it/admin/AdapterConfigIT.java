package dev.svidauth.it.admin;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client installation endpoint behind the admin console's "Action → Download adapter
 * config" ({@code keycloak-oidc-keycloak-json}) for SVID clients: HTTP 200 with the client's
 * {@code keycloak.json}, whose {@code credentials} are empty (an SVID client has no secret to
 * hand out). Keycloak 26.4 and 26.5 call the authenticator factory through another method
 * signature than 26.7; this runs on every version of the matrix.
 */
@ExtendWith(SvidEnvironment.class)
class AdapterConfigIT {

    static final String KEYCLOAK_JSON = "keycloak-oidc-keycloak-json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SvidRealm env;

    AdapterConfigIT(SvidRealm env) {
        this.env = env;
    }

    private HttpResponse<String> download(String clientId, String providerId) {
        String uuid = env.admin().clientUuid(SvidRealm.REALM, clientId);
        return env.admin().send("GET", "/" + SvidRealm.REALM + "/clients/" + uuid + "/installation/providers/" + providerId, null);
    }

    private JsonNode keycloakJson(String clientId) throws Exception {
        HttpResponse<String> answer = download(clientId, KEYCLOAK_JSON);
        assertThat(answer.statusCode()).as("%s: %s", clientId, answer.body()).isEqualTo(200);
        JsonNode json = JSON.readTree(answer.body());
        assertThat(json.isObject()).as(answer.body()).isTrue();
        return json;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void importedSvidClientsDownloadTheirKeycloakJsonWithoutCredentials() throws Exception {
        for (String clientId : List.of("payments-api", "ai-agents", SvidRealm.INVENTORY)) {
            JsonNode json = keycloakJson(clientId);

            assertThat(json.path("realm").asText()).isEqualTo(SvidRealm.REALM);
            assertThat(json.path("resource").asText()).isEqualTo(clientId);
            assertThat(json.path("auth-server-url").asText()).isEqualTo(env.keycloak().baseUrl() + "/");
            assertThat(json.path("ssl-required").asText()).isEqualTo("external");
            assertThat(json.has("public-client")).as("a confidential client").isFalse();
            // shown for confidential clients; an SVID client has nothing to put in it
            assertThat(json.path("credentials").isObject()).as(json.toString()).isTrue();
            assertThat(fieldNames(json.path("credentials"))).as(json.toString()).isEmpty();
        }
    }

    @Test
    void svidClientCreatedThroughTheAdminApiDownloadsItsKeycloakJson() throws Exception {
        String clientId = "adapter-config-svid";
        env.createSvidClient(clientId, "spiffe://example.org/ns/apps/sa/adapter-config",
                Map.of("svid.jwks.uri", env.forKeycloak(env.spire().jwksUrl())), true);

        JsonNode json = keycloakJson(clientId);

        assertThat(json.path("resource").asText()).isEqualTo(clientId);
        assertThat(json.path("realm").asText()).isEqualTo(SvidRealm.REALM);
        assertThat(fieldNames(json.path("credentials"))).as(json.toString()).isEmpty();
    }

    /** The same endpoint for the realm's client-secret client hands out its secret: the check above can tell. */
    @Test
    void clientSecretClientOfTheSameRealmGetsItsSecret() throws Exception {
        JsonNode json = keycloakJson("legacy-service");

        assertThat(json.path("resource").asText()).isEqualTo("legacy-service");
        assertThat(json.path("credentials").path("secret").asText()).isEqualTo(SvidRealm.LEGACY_SECRET);
    }

    /** The other OIDC adapter formats go through the same factory method. */
    @Test
    void jbossSubsystemFormatAlsoAnswersForAnSvidClient() {
        HttpResponse<String> answer = download("payments-api", "keycloak-oidc-jboss-subsystem");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("<resource>payments-api</resource>").doesNotContain("<credential");
    }
}
