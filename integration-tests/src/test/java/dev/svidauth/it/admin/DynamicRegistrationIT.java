package dev.svidauth.it.admin;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * OpenID Connect dynamic client registration with the SPIFFE client metadata of
 * draft-ietf-oauth-spiffe-client-auth on the real server: a workload registers with
 * {@code token_endpoint_auth_method: spiffe_jwt}, {@code spiffe_id} and its key source, then
 * authenticates with its SVID; reading the registration back returns the same metadata; bad
 * metadata is {@code 400 invalid_client_metadata} and nothing is stored; Keycloak's registration
 * rules (an initial access token here) apply as for any client.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DynamicRegistrationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final SvidRealm env;
    private String initialAccessToken;

    DynamicRegistrationIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        initialAccessToken = env.admin().post("/" + REALM + "/clients-initial-access",
                Map.of("count", 50, "expiration", 3600)).path("token").asText();
        assertThat(initialAccessToken).isNotEmpty();
    }

    @Test
    void registerWithSpiffeIdAndJwksUriThenAuthenticateWithTheSvidAndReadItBack() throws Exception {
        String spiffeId = "spiffe://example.org/ns/dcr/sa/jwks";
        HttpResponse<String> registered = register(metadata("dcr-jwks", spiffeId, "jwks_uri", env.spire().jwksUrl().toString()));

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.path("token_endpoint_auth_method").asText()).isEqualTo("spiffe_jwt");
        assertThat(answer.path("spiffe_id").asText()).isEqualTo(spiffeId);
        assertThat(answer.path("jwks_uri").asText()).isEqualTo(env.spire().jwksUrl().toString());
        assertThat(answer.has("spiffe_bundle_endpoint")).isFalse();
        String clientId = answer.path("client_id").asText();

        JsonNode stored = env.admin().client(REALM, clientId);
        assertThat(stored.path("clientAuthenticatorType").asText()).isEqualTo("client-svid-jwt");
        assertThat(stored.path("attributes").path("svid.spiffe.id").asText()).isEqualTo(spiffeId);
        assertThat(stored.path("attributes").path("svid.jwks.uri").asText()).isEqualTo(env.spire().jwksUrl().toString());

        var token = env.token(JWT_SPIFFE, env.svid(spiffeId), clientId);
        assertThat(token.status).as(token.toString()).isEqualTo(200);
        assertThat(token.accessToken().path("azp").asText()).isEqualTo(clientId);

        JsonNode readBack = read(answer);
        assertThat(readBack.path("spiffe_id").asText()).isEqualTo(spiffeId);
        assertThat(readBack.path("jwks_uri").asText()).isEqualTo(env.spire().jwksUrl().toString());
        assertThat(readBack.path("token_endpoint_auth_method").asText()).isEqualTo("spiffe_jwt");
    }

    @Test
    void registerWithAPatternAndABundleEndpoint() throws Exception {
        String pattern = "spiffe://example.org/ns/dcr-bundle/*";
        HttpResponse<String> registered = register(metadata("dcr-bundle", pattern, "spiffe_bundle_endpoint",
                env.spire().bundleUrl().toString()));

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.path("spiffe_id").asText()).isEqualTo(pattern);
        assertThat(answer.path("spiffe_bundle_endpoint").asText()).isEqualTo(env.spire().bundleUrl().toString());
        assertThat(answer.has("jwks_uri")).isFalse();

        var token = env.token(JWT_SPIFFE, env.svid("spiffe://example.org/ns/dcr-bundle/sa/w1"), null);
        assertThat(token.status).as(token.toString()).isEqualTo(200);
        assertThat(token.accessToken().path("azp").asText()).isEqualTo(answer.path("client_id").asText());
        assertThat(read(answer).path("spiffe_bundle_endpoint").asText()).isEqualTo(env.spire().bundleUrl().toString());
    }

    @Test
    void withoutAKeySourceTheTrustDomainEntryOfTheRealmServes() throws Exception {
        String spiffeId = "spiffe://example.org/ns/dcr/sa/entry";
        HttpResponse<String> registered = register(metadata("dcr-entry", spiffeId, null, null));

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.path("spiffe_id").asText()).isEqualTo(spiffeId);
        assertThat(answer.has("jwks_uri")).isFalse();
        assertThat(answer.has("spiffe_bundle_endpoint")).isFalse();
        assertThat(env.admin().client(REALM, answer.path("client_id").asText()).path("attributes").has("svid.jwks.uri")).isFalse();

        // the shipped realm's example.org trust-domain entry supplies the key source
        var token = env.token(JWT_SPIFFE, env.svid(spiffeId), answer.path("client_id").asText());
        assertThat(token.status).as(token.toString()).isEqualTo(200);
    }

    @Test
    void badSpiffeMetadataIsInvalidClientMetadataAndNothingIsStored() throws Exception {
        String keys = env.spire().jwksUrl().toString();
        assertRefused("dcr-bad-id", metadata("dcr-bad-id", "spiffe://Example.org/ns/x", "jwks_uri", keys), "spiffe_id: ");
        assertRefused("dcr-no-id", metadata("dcr-no-id", null, "jwks_uri", keys), "needs spiffe_id");
        Map<String, Object> both = metadata("dcr-both", "spiffe://example.org/ns/dcr/sa/both", "jwks_uri", keys);
        both.put("spiffe_bundle_endpoint", env.spire().bundleUrl().toString());
        assertRefused("dcr-both", both, "not both");
        Map<String, Object> secret = metadata("dcr-secret", "spiffe://example.org/ns/dcr/sa/secret", "jwks_uri", keys);
        secret.put("token_endpoint_auth_method", "client_secret_basic");
        assertRefused("dcr-secret", secret, "need token_endpoint_auth_method spiffe_jwt");
        Map<String, Object> number = metadata("dcr-number", null, "jwks_uri", keys);
        number.put("spiffe_id", 42);
        assertRefused("dcr-number", number, "spiffe_id must be a non-empty string");
        assertRefused("dcr-metadata-host", metadata("dcr-metadata-host", "spiffe://example.org/ns/dcr/sa/ssrf",
                "spiffe_bundle_endpoint", "http://169.254.169.254/bundle"), "svid.jwks.uri");
        // no key source, and a trust domain without a trust-domain entry in the realm
        assertRefused("dcr-no-key", metadata("dcr-no-key", "spiffe://no-entry.test/ns/dcr/sa/nokey", null, null), "svid.jwks.uri");
    }

    @Test
    void anUnknownMemberIsRefusedAsKeycloakRefusesIt() throws Exception {
        Map<String, Object> unknown = metadata("dcr-unknown", "spiffe://example.org/ns/dcr/sa/u", "jwks_uri",
                env.spire().jwksUrl().toString());
        unknown.put("not_a_metadata_member", "x");
        assertRefused("dcr-unknown", unknown, "not_a_metadata_member");
    }

    @Test
    void withoutAnInitialAccessTokenTheRealmsRegistrationPoliciesApply() throws Exception {
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(registrationEndpoint())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(metadata("dcr-anon",
                        "spiffe://example.org/ns/dcr/sa/anon", "jwks_uri", env.spire().jwksUrl().toString()))))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(anonymous.statusCode()).as(anonymous.body()).isIn(401, 403);
        assertThat(clientsNamed("dcr-anon")).isEmpty();
    }

    @Test
    void ordinaryRegistrationsAreUnchanged() throws Exception {
        Map<String, Object> plain = new LinkedHashMap<>();
        plain.put("client_name", "dcr-plain");
        plain.put("redirect_uris", List.of("https://app.example/cb"));
        HttpResponse<String> registered = register(plain);

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.path("token_endpoint_auth_method").asText()).isEqualTo("client_secret_basic");
        assertThat(answer.path("client_secret").asText()).isNotEmpty();
        assertThat(answer.has("spiffe_id")).isFalse();
    }

    // ---------------------------------------------------------------------------------- helpers

    private URI registrationEndpoint() {
        return URI.create(env.audience() + "/clients-registrations/openid-connect");
    }

    private static Map<String, Object> metadata(String name, String spiffeId, String keyMember, String keyUrl) {
        return SvidRealm.registrationMetadata(name, spiffeId, keyMember, keyUrl);
    }

    private HttpResponse<String> register(Map<String, Object> metadata) throws Exception {
        return SvidRealm.register(URI.create(env.audience()), initialAccessToken, metadata);
    }

    /** GET the registration with its registration access token, as the registered client would. */
    private JsonNode read(JsonNode registration) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(registration.path("registration_client_uri").asText()))
                .header("Authorization", "Bearer " + registration.path("registration_access_token").asText())
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private void assertRefused(String name, Map<String, Object> metadata, String fragment) throws Exception {
        HttpResponse<String> r = register(metadata);
        assertThat(r.statusCode()).as(name + ": " + r.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.body());
        assertThat(error.path("error").asText()).as(r.body()).isEqualTo("invalid_client_metadata");
        assertThat(error.path("error_description").asText()).as(name).contains(fragment);
        assertThat(clientsNamed(name)).as("nothing stored for " + name).isEmpty();
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
