package dev.svidauth.it.jwt;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.AGENT;
import static dev.svidauth.it.support.SvidRealm.INVENTORY;
import static dev.svidauth.it.support.SvidRealm.JWT_BEARER;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REPORTING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * client_credentials with an SVID against the real server and the shipped realm-export: both
 * assertion types, both key formats (OIDC discovery JWKS and SPIFFE bundle), with and without
 * iss, with and without client_id.
 */
@ExtendWith(SvidEnvironment.class)
class ClientCredentialsIT {

    private final SvidRealm env;

    ClientCredentialsIT(SvidRealm env) {
        this.env = env;
    }

    @Test
    void jwtSpiffeWithPinnedIssuerAndDiscoveredKeysYieldsTokenForMappedClient() {
        FormPost.Answer answer = env.token(env.svid(PAYMENTS));

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo("payments-api");
        assertThat(token.path("spiffe_id").asText()).isEqualTo(PAYMENTS);
        assertThat(token.path("trust_domain").asText()).isEqualTo("example.org");
        assertThat(answer.json.path("token_type").asText()).isEqualToIgnoringCase("Bearer");
    }

    @Test
    void jwtBearerAssertionTypeIsAcceptedWhenSubIsASpiffeId() {
        FormPost.Answer answer = env.token(JWT_BEARER, env.svid(PAYMENTS), null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("payments-api");
    }

    @Test
    void clientIdParameterNamesTheClient() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(PAYMENTS), "payments-api");

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("payments-api");
    }

    @Test
    void bundleEndpointKeysAndPrefixPatternWithoutIss() {
        String svid = env.spire().svid(AGENT).audience(env.audience()).claim("iss", null)
                .claim("client_type", "ai-agent").mint();

        FormPost.Answer answer = env.token(JWT_BEARER, svid, null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo("ai-agents");
        assertThat(token.path("spiffe_id").asText()).isEqualTo(AGENT);
        assertThat(token.path("is_agent").isBoolean()).isTrue();
        assertThat(token.path("is_agent").asBoolean()).isTrue();
    }

    /** The realm issuer is the only audience by default (svid.audience.endpoints is an opt-in: OAuthFlowsIT). */
    @Test
    void tokenEndpointUrlIsRefusedAsAudienceByDefault() {
        String svid = env.spire().mint(PAYMENTS, List.of(env.tokenEndpoint().toString()));

        FormPost.Answer answer = env.token(svid);

        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_audience");
    }

    @Test
    void theSameSvidPresentedAgainIsAcceptedAgain() {
        String svid = env.svid(PAYMENTS);

        for (int i = 0; i < 3; i++) {
            FormPost.Answer answer = env.token(svid);
            assertThat(answer.status).as(answer.toString()).isEqualTo(200);
            assertThat(answer.accessToken().path("azp").asText()).isEqualTo("payments-api");
        }
    }

    @Test
    void clientNamedBySpiffeIdUsesOidcDiscoveryProviderKeysEndpoint() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(INVENTORY), null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(INVENTORY);
    }

    @Test
    void oneSpiffeIdServesTwoClientsWhenClientIdChooses() {
        FormPost.Answer eu = env.token(JWT_SPIFFE, env.svid(REPORTING), "reporting-eu");
        FormPost.Answer us = env.token(JWT_BEARER, env.svid(REPORTING), "reporting-us");

        assertThat(eu.status).as(eu.toString()).isEqualTo(200);
        assertThat(eu.accessToken().path("azp").asText()).isEqualTo("reporting-eu");
        assertThat(us.status).as(us.toString()).isEqualTo(200);
        assertThat(us.accessToken().path("azp").asText()).isEqualTo("reporting-us");
    }

    @Test
    void clientSecretClientInTheSameRealmStillWorksAndGetsNoSvidClaims() {
        FormPost.Answer answer = env.post(env.tokenEndpoint(), Map.of("grant_type", "client_credentials"),
                "legacy-service:" + SvidRealm.LEGACY_SECRET);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo("legacy-service");
        assertThat(token.has("spiffe_id")).isFalse();
        assertThat(token.has("trust_domain")).isFalse();
    }

    @Test
    void privateKeyJwtClientNamedBySpiffeIdStillUsesKeycloakClientJwt() {
        String clientId = "spiffe://example.org/ns/legacy/sa/private-key-jwt";
        if (!env.admin().send("GET", "/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId), null).body().contains("private-key-jwt")) {
            Map<String, Object> rep = new java.util.LinkedHashMap<>();
            rep.put("clientId", clientId);
            rep.put("publicClient", false);
            rep.put("standardFlowEnabled", false);
            rep.put("serviceAccountsEnabled", true);
            rep.put("clientAuthenticatorType", "client-jwt");
            rep.put("attributes", Map.of("use.jwks.url", "true", "jwks.url", env.forKeycloak(env.spire().jwksUrl())));
            env.admin().post("/" + SvidRealm.REALM + "/clients", rep);
        }
        long now = System.currentTimeMillis() / 1000;
        String claims = "{\"aud\":\"" + env.audience() + "\",\"exp\":" + (now + 60) + ",\"iat\":" + now
                + ",\"iss\":\"" + clientId + "\",\"jti\":\"" + java.util.UUID.randomUUID() + "\",\"sub\":\"" + clientId + "\"}";
        String assertion = Forge.sign(env.spire().signingKey(), "ES256",
                Forge.header("ES256", env.spire().signingKey().getKeyID()), claims);

        FormPost.Answer answer = env.token(JWT_BEARER, assertion, null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(clientId);
        JsonNode event = env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN", 1).get(0);
        assertThat(event.path("details").path("client_auth_method").asText()).isEqualTo("client-jwt");
    }

    @Test
    void successIsRecordedAsClientLoginEventWithSvidDetails() {
        String svid = env.svid(PAYMENTS);
        assertThat(env.token(svid).status).isEqualTo(200);

        JsonNode event = env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN", 1).get(0);
        assertThat(event.path("clientId").asText()).isEqualTo("payments-api");
        assertThat(event.path("details").path("client_auth_method").asText()).isEqualTo("client-svid-jwt");
        assertThat(event.path("details").path("client_assertion_sub").asText()).isEqualTo(PAYMENTS);
        assertThat(event.path("details").path("client_assertion_issuer").asText()).isEqualTo(env.spire().issuer());
        assertThat(event.path("details").path("svid_kid").asText()).isEqualTo(env.spire().signingKey().getKeyID());
    }

    @Test
    void outcomesAreCountedInKeycloakMetrics() throws Exception {
        assertThat(env.token(env.svid(PAYMENTS)).status).isEqualTo(200);
        assertThat(env.token(env.svid("spiffe://example.org/ns/nobody/sa/metrics")).status).isEqualTo(401);

        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.keycloak().managementPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body().lines().filter(l -> l.startsWith("svid_auth_client_authentications_total{")))
                .anyMatch(l -> l.contains("outcome=\"success\"") && l.contains("realm=\"svid\""))
                .anyMatch(l -> l.contains("outcome=\"rejected\"") && l.contains("reason=\"unknown_client\""));
    }

    @Test
    void discoveryAdvertisesSpiffeJwtOnce() {
        JsonNode doc = env.getJson(URI.create(env.audience() + "/.well-known/openid-configuration"));
        List<String> methods = new ArrayList<>();
        doc.path("token_endpoint_auth_methods_supported").forEach(n -> methods.add(n.asText()));

        assertThat(methods).containsOnlyOnce("spiffe_jwt");
        assertThat(methods.stream().filter("private_key_jwt"::equals)).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void serverInfoShowsTheExtensionVersion() throws IOException {
        JsonNode info = env.serverInfo();
        JsonNode provider = info.path("providers").path("client-authenticator").path("providers").path("client-svid-jwt");

        assertThat(provider.isMissingNode()).as("client-svid-jwt listed in Server Info").isFalse();
        // Server Info (what the admin console's Provider info tab lists) shows the Implementation-Version
        // of the very JAR the server runs, which is the build's version.
        String manifestVersion = SvidRealm.providerJarVersion();
        assertThat(manifestVersion).isEqualTo(System.getProperty("svid.version"));
        assertThat(provider.path("operationalInfo").path("svid-auth-version").asText()).isEqualTo(manifestVersion);
        // By default the JAR replaces both Keycloak built-ins (BuiltInReplacementsIT switches them off).
        assertThat(provider.path("operationalInfo").path("replace-client-validation").asText()).isEqualTo("true");
        assertThat(provider.path("operationalInfo").path("replace-client-registration").asText()).isEqualTo("true");
        // The SPIFFE ID index reads clients with one query, not by loading every client (a Keycloak
        // upgrade that renamed the JPA entities would show here as the fallback).
        assertThat(provider.path("operationalInfo").path("client-index").asText()).isEqualTo("database query");
        // ecdsa-provider=auto: the faster of Keycloak's BouncyCastle and the JDK's SunEC, measured at start-up
        String ecdsa = provider.path("operationalInfo").path("ecdsa-provider").asText();
        System.out.println("[server-info] ecdsa-provider: " + ecdsa);
        assertThat(ecdsa).matches("(BC|SunEC) \\(measured: BC \\d+ µs, SunEC \\d+ µs per P-256 verification\\)");
    }
}
