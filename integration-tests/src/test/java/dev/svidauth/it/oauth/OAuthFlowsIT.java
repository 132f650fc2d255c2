package dev.svidauth.it.oauth;

import dev.svidauth.it.support.AuthenticationDevice;
import dev.svidauth.it.support.BrowserLogin;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.oauth.ClaimsBindingIT.PASSWORD;
import static dev.svidauth.it.oauth.ClaimsBindingIT.REDIRECT;
import static dev.svidauth.it.oauth.ClaimsBindingIT.USER;
import static dev.svidauth.it.support.SvidRealm.JWT_BEARER;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SVID client authentication on every OAuth endpoint and grant of the real Keycloak that
 * authenticates clients, through the shipped client flow: PAR, device authorization and the
 * device-code grant, CIBA, standard token exchange, revocation, introspection; the audience the
 * SVID may carry at each endpoint (the realm issuer alone by default, as
 * draft-ietf-oauth-spiffe-client-auth-02 and draft-ietf-oauth-rfc7523bis require; with the opt-in
 * {@code svid.audience.endpoints} also the token endpoint and the endpoint's own URL there, as
 * Keycloak's client-jwt does, and nowhere else), {@code svid.audience.issuer.only}, and discovery.
 * Tokens of every grant carry the SVID claims of the SVID presented at that token request.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OAuthFlowsIT {

    static final String AGENT = "flow-agent";
    static final String AGENT_ID = "spiffe://example.org/ns/flows/sa/agent";
    static final String WEB = "flow-web";
    static final String WEB_SECRET = "flow-web-secret-for-tests";
    static final String STRICT = "flow-issuer-only";
    static final String STRICT_ID = "spiffe://example.org/ns/flows/sa/strict";
    /** A client with the default audience settings: the realm issuer only. */
    static final String DEFAULT = "flow-default-audience";
    static final String DEFAULT_ID = "spiffe://example.org/ns/flows/sa/default";
    /** A service-account client with the opt-in svid.audience.endpoints. */
    static final String ENDPOINTS = "flow-endpoint-audiences";
    static final String ENDPOINTS_ID = "spiffe://example.org/ns/flows/sa/endpoints";
    static final String OIDC = "/protocol/openid-connect";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final SvidRealm env;

    OAuthFlowsIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        ClaimsBindingIT.createSharedScope(env);
        env.createUser(USER, PASSWORD, null);
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("clientAuthenticatorType", "client-svid-jwt");
        // a workload that mints for the endpoint it calls: the opt-in svid.audience.endpoints
        agent.put("attributes", Map.of("svid.spiffe.id", AGENT_ID, "svid.jwks.uri", env.spire().jwksUrl().toString(),
                "svid.audience.endpoints", "true",
                "oauth2.device.authorization.grant.enabled", "true", "oidc.ciba.grant.enabled", "true",
                "standard.token.exchange.enabled", "true"));
        ClaimsBindingIT.createWebClient(env, AGENT, agent, List.of(AGENT, WEB));
        ClaimsBindingIT.createWebClient(env, WEB, Map.of("clientAuthenticatorType", "client-secret", "secret", WEB_SECRET,
                "attributes", Map.of("standard.token.exchange.enabled", "true")), List.of(WEB, AGENT));
        env.createSvidClient(STRICT, STRICT_ID, Map.of("svid.jwks.uri", env.spire().jwksUrl().toString(),
                "svid.audience.issuer.only", "true"), true);
        env.createSvidClient(DEFAULT, DEFAULT_ID, Map.of("svid.jwks.uri", env.spire().jwksUrl().toString()), true);
        env.createSvidClient(ENDPOINTS, ENDPOINTS_ID, Map.of("svid.jwks.uri", env.spire().jwksUrl().toString(),
                "svid.audience.endpoints", "true"), true);
    }

    // ------------------------------------------------------------------------------ discovery

    @Test
    void discoveryListsSpiffeJwtAndSpiffeX509OnceInEveryClientAuthMethodsList() {
        JsonNode doc = env.getJson(URI.create(env.audience() + "/.well-known/openid-configuration"));
        List<String> lists = new ArrayList<>();
        doc.fieldNames().forEachRemaining(name -> {
            if (name.endsWith("_auth_methods_supported")) {
                lists.add(name);
            }
        });

        assertThat(lists).contains("token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported",
                "revocation_endpoint_auth_methods_supported");
        for (String list : lists) {
            List<String> methods = new ArrayList<>();
            doc.path(list).forEach(n -> methods.add(n.asText()));
            assertThat(methods).as(list).containsOnlyOnce("spiffe_jwt", "spiffe_x509", "spiffe_wit");
        }
    }

    // ------------------------------------------------------------------------------------ PAR

    @Test
    void parWithAnSvidThenTheCodeFlowWithAnSvid() {
        Map<String, String> form = svidAuth(svid(AGENT_ID, "ai-agent", endpoint("/ext/par/request")));
        form.put("response_type", "code");
        form.put("client_id", AGENT);
        form.put("redirect_uri", REDIRECT);
        form.put("scope", "openid");
        FormPost.Answer par = env.post(endpoint("/ext/par/request"), form, null);

        assertThat(par.status).as(par.toString()).isEqualTo(201);
        String requestUri = par.json.path("request_uri").asText();
        assertThat(requestUri).startsWith("urn:ietf:params:oauth:request_uri:");

        String code = new BrowserLogin(URI.create(env.audience())).authorize("client_id=" + AGENT + "&request_uri="
                + FormPost.encode(requestUri), USER, PASSWORD);
        Map<String, String> token = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        token.put("grant_type", "authorization_code");
        token.put("code", code);
        token.put("redirect_uri", REDIRECT);
        JsonNode access = ok(env.post(env.tokenEndpoint(), token, null)).accessToken();
        assertAgentTokenForThePerson(access);
        assertThat(access.path("is_agent").asBoolean()).isTrue();
    }

    // ------------------------------------------------------------------------- device grant

    @Test
    void deviceAuthorizationAndTheDeviceCodeGrantCarryTheSvidClaimsOfTheTokenRequest() {
        Map<String, String> form = svidAuth(svid(AGENT_ID, "batch-job", endpoint("/auth/device")));
        form.put("client_id", AGENT);
        form.put("scope", "openid");
        FormPost.Answer device = ok(env.post(endpoint("/auth/device"), form, null));
        assertThat(device.json.path("user_code").asText()).isNotEmpty();

        HttpResponse<String> approved = new BrowserLogin(URI.create(env.audience()))
                .visit(URI.create(device.json.path("verification_uri_complete").asText()), USER, PASSWORD);
        assertThat(approved.statusCode()).as(approved.body()).isIn(200, 302);

        Map<String, String> token = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        token.put("grant_type", "urn:ietf:params:oauth:grant-type:device_code");
        token.put("device_code", device.json.path("device_code").asText());
        JsonNode access = ok(env.post(env.tokenEndpoint(), token, null)).accessToken();
        assertAgentTokenForThePerson(access);
        assertThat(access.path("client_type").asText()).as("the SVID of the token request, not of /auth/device")
                .isEqualTo("ai-agent");
        assertThat(access.path("is_agent").asBoolean()).isTrue();
    }

    // ----------------------------------------------------------------------------------- CIBA

    @Test
    void cibaWithAnSvidCarriesTheSvidClaimsOfTheTokenRequest() {
        AuthenticationDevice device = env.authenticationDevice();
        Assumptions.assumeTrue(device != null, "CIBA needs the test's authentication device, which a container cannot reach");
        Map<String, String> form = svidAuth(svid(AGENT_ID, "batch-job", endpoint("/ext/ciba/auth")));
        form.put("scope", "openid");
        form.put("login_hint", USER);
        form.put("binding_message", "svid-auth-test");
        FormPost.Answer auth = ok(env.post(endpoint("/ext/ciba/auth"), form, null));
        String authReqId = auth.json.path("auth_req_id").asText();
        assertThat(authReqId).isNotEmpty();

        AuthenticationDevice.Request request = device.next();
        assertThat(request.body()).contains("svid-auth-test");
        HttpResponse<String> decided = send(HttpRequest.newBuilder(endpoint("/ext/ciba/auth/callback"))
                .header("Authorization", "Bearer " + request.bearer()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"status\":\"SUCCEED\"}")));
        assertThat(decided.statusCode()).as(decided.body()).isEqualTo(200);

        Map<String, String> token = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        token.put("grant_type", "urn:openid:params:grant-type:ciba");
        token.put("auth_req_id", authReqId);
        JsonNode access = ok(env.post(env.tokenEndpoint(), token, null)).accessToken();
        assertAgentTokenForThePerson(access);
        assertThat(access.path("is_agent").asBoolean()).isTrue();
    }

    // ------------------------------------------------------------------------- token exchange

    @Test
    void anSvidClientExchangesAPersonsTokenAndGetsItsOwnSvidClaims() {
        String personToken = codeFlowWithSecret(new BrowserLogin(URI.create(env.audience()))).json.path("access_token").asText();
        assertNoSvidClaims("flow-web's token", SvidRealm.payload(personToken));

        Map<String, String> form = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
        form.put("subject_token", personToken);
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
        JsonNode exchanged = ok(env.post(env.tokenEndpoint(), form, null)).accessToken();

        assertThat(exchanged.path("azp").asText()).isEqualTo(AGENT);
        assertThat(exchanged.path("sub").asText()).isEqualTo(SvidRealm.payload(personToken).path("sub").asText());
        assertThat(exchanged.path("spiffe_id").asText()).isEqualTo(AGENT_ID);
        assertThat(exchanged.path("is_agent").asBoolean()).isTrue();
    }

    @Test
    void aClientSecretClientExchangingAnSvidClientsTokenGetsNoSvidClaims() {
        BrowserLogin browser = new BrowserLogin(URI.create(env.audience()));
        Map<String, String> form = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        form.put("grant_type", "authorization_code");
        form.put("code", browser.authorize(AGENT, REDIRECT, USER, PASSWORD));
        form.put("redirect_uri", REDIRECT);
        String agentToken = ok(env.post(env.tokenEndpoint(), form, null)).json.path("access_token").asText();
        assertThat(SvidRealm.payload(agentToken).path("is_agent").asBoolean()).isTrue();

        JsonNode exchanged = ok(env.post(env.tokenEndpoint(), Map.of(
                "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token", agentToken,
                "subject_token_type", "urn:ietf:params:oauth:token-type:access_token"), WEB + ":" + WEB_SECRET)).accessToken();

        assertThat(exchanged.path("azp").asText()).isEqualTo(WEB);
        assertNoSvidClaims("token exchanged by flow-web from flow-agent's token", exchanged);
    }

    // ---------------------------------------------------------- revocation and introspection

    @Test
    void revocationAndIntrospectionByAnSvidClientWithTheirOwnEndpointAsAudience() {
        BrowserLogin browser = new BrowserLogin(URI.create(env.audience()));
        Map<String, String> form = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()), JWT_BEARER);
        form.put("grant_type", "authorization_code");
        form.put("code", browser.authorize(AGENT, REDIRECT, USER, PASSWORD));
        form.put("redirect_uri", REDIRECT);
        FormPost.Answer tokens = ok(env.post(env.tokenEndpoint(), form, null));

        Map<String, String> introspect = svidAuth(svid(AGENT_ID, "ai-agent", endpoint("/token/introspect").toString()));
        introspect.put("token", tokens.json.path("access_token").asText());
        JsonNode introspection = ok(env.post(endpoint("/token/introspect"), introspect, null)).json;
        assertThat(introspection.path("active").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.path("spiffe_id").asText()).isEqualTo(AGENT_ID);

        Map<String, String> revoke = svidAuth(svid(AGENT_ID, "ai-agent", endpoint("/revoke").toString()));
        revoke.put("token", tokens.json.path("refresh_token").asText());
        revoke.put("token_type_hint", "refresh_token");
        ok(env.post(endpoint("/revoke"), revoke, null));

        Map<String, String> refresh = svidAuth(svid(AGENT_ID, "ai-agent", env.audience()));
        refresh.put("grant_type", "refresh_token");
        refresh.put("refresh_token", tokens.json.path("refresh_token").asText());
        FormPost.Answer refused = env.post(env.tokenEndpoint(), refresh, null);
        assertThat(refused.status).as(refused.toString()).isEqualTo(400);
        assertThat(refused.error()).isEqualTo("invalid_grant");
    }

    @Test
    void anotherEndpointsUrlIsNoAudienceAtTheTokenEndpoint() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, svid(AGENT_ID, "ai-agent", endpoint("/revoke").toString()), AGENT);

        Rejections.assertTerse(answer, "bad_audience");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_audience");
        assertThat(Rejections.detail(env.lastLoginError())).startsWith("SVID audience '" + env.audience())
                .contains("/protocol/openid-connect/revok")
                .endsWith("' is not accepted here; expected this realm's issuer or token endpoint URL");
    }

    // -------------------------------------------- default: issuer only; svid.audience.endpoints

    /** draft-02 / rfc7523bis: the token endpoint URL is no audience by default; the opt-in accepts it. */
    @Test
    void theTokenEndpointUrlIsRefusedByDefaultAndAcceptedWithTheOptIn() {
        String forTokenEndpoint = env.tokenEndpoint().toString();

        FormPost.Answer refused = env.token(JWT_SPIFFE, svid(DEFAULT_ID, "ai-agent", forTokenEndpoint), null);
        assertThat(refused.status).as(refused.toString()).isEqualTo(401);
        assertThat(refused.error()).isEqualTo("invalid_client");
        assertThat(refused.body).doesNotContain("access_token");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_audience");

        JsonNode issuerAudience = ok(env.token(JWT_SPIFFE, svid(DEFAULT_ID, "ai-agent", env.audience()), null)).accessToken();
        assertThat(issuerAudience.path("azp").asText()).isEqualTo(DEFAULT);
        JsonNode optedIn = ok(env.token(JWT_SPIFFE, svid(ENDPOINTS_ID, "ai-agent", forTokenEndpoint), null)).accessToken();
        assertThat(optedIn.path("azp").asText()).isEqualTo(ENDPOINTS);
    }

    /** The URL of the endpoint called (here introspection) likewise: refused by default, accepted with the opt-in. */
    @Test
    void theCalledEndpointsUrlIsRefusedByDefaultAndAcceptedWithTheOptIn() {
        URI introspection = endpoint("/token/introspect");

        FormPost.Answer refused = introspect(svid(DEFAULT_ID, "ai-agent", introspection));
        assertThat(refused.status).as(refused.toString()).isEqualTo(401);
        assertThat(refused.error()).isEqualTo("invalid_client");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_audience");

        FormPost.Answer issuerAudience = ok(introspect(svid(DEFAULT_ID, "ai-agent", env.audience())));
        assertThat(issuerAudience.json.path("active").asBoolean()).as("an unknown token, judged after authentication").isFalse();
        ok(introspect(svid(ENDPOINTS_ID, "ai-agent", introspection)));
    }

    /** The opt-in and issuer-only contradict each other: refused at save, naming the attribute, nothing stored. */
    @Test
    void endpointAudiencesWithIssuerOnlyAreRefusedAtSave() {
        HttpResponse<String> saved = saveIssuerOnlyStrictWith("svid.audience.endpoints", "true");

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(400);
        assertThat(saved.body()).contains("svid.audience.endpoints");
        assertThat(env.admin().client(REALM, STRICT).path("attributes").has("svid.audience.endpoints")).isFalse();
    }

    /** What saving the issuer-only client {@code STRICT} with one more attribute answers (the admin API's PUT). */
    private HttpResponse<String> saveIssuerOnlyStrictWith(String attribute, String value) {
        JsonNode client = env.admin().client(REALM, STRICT);
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("id", client.path("id").asText());
        rep.put("clientId", STRICT);
        rep.put("clientAuthenticatorType", "client-svid-jwt");
        rep.put("attributes", Map.of("svid.spiffe.id", STRICT_ID, "svid.jwks.uri", env.spire().jwksUrl().toString(),
                "svid.audience.issuer.only", "true", attribute, value));
        return env.admin().send("PUT", "/" + REALM + "/clients/" + client.path("id").asText(), rep);
    }

    private FormPost.Answer introspect(String svid) {
        Map<String, String> form = svidAuth(svid);
        form.put("token", "not-a-token-of-this-realm");
        return env.post(endpoint("/token/introspect"), form, null);
    }

    // ------------------------------------------------------------- svid.audience.issuer.only

    @Test
    void issuerOnlyAudienceAcceptsTheIssuerAndRefusesTheTokenEndpoint() {
        JsonNode token = ok(env.token(JWT_SPIFFE, svid(STRICT_ID, "ai-agent", env.audience()), null)).accessToken();
        assertThat(token.path("azp").asText()).isEqualTo(STRICT);

        FormPost.Answer refused = env.token(JWT_SPIFFE, svid(STRICT_ID, "ai-agent", env.tokenEndpoint().toString()), null);
        Rejections.assertTerse(refused, "bad_audience");
        assertThat(Rejections.detail(env.lastLoginError())).isEqualTo("SVID audience '" + env.tokenEndpoint()
                + "' is not accepted here; this client accepts only this realm's issuer URL (svid.audience.issuer.only)");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_audience");
    }

    @Test
    void issuerOnlyAudienceWithExtraAudiencesIsRefusedAtSave() {
        HttpResponse<String> saved = saveIssuerOnlyStrictWith("svid.audiences", "https://gateway.example");

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(400);
        assertThat(saved.body()).contains("svid.audience.issuer.only");
        assertThat(env.admin().client(REALM, STRICT).path("attributes").has("svid.audiences")).isFalse();
    }

    // ---------------------------------------------------------------------------------- helpers

    private URI endpoint(String path) {
        return URI.create(env.audience() + OIDC + path);
    }

    private String svid(String spiffeId, String clientType, Object audience) {
        return env.spire().svid(spiffeId).audience(audience.toString()).claim("client_type", clientType).mint();
    }

    private static Map<String, String> svidAuth(String svid) {
        return svidAuth(svid, JWT_SPIFFE);
    }

    private static Map<String, String> svidAuth(String svid, String type) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_assertion_type", type);
        form.put("client_assertion", svid);
        return form;
    }

    private FormPost.Answer codeFlowWithSecret(BrowserLogin browser) {
        return ok(env.post(env.tokenEndpoint(), Map.of("grant_type", "authorization_code",
                "code", browser.authorize(WEB, REDIRECT, USER, PASSWORD), "redirect_uri", REDIRECT), WEB + ":" + WEB_SECRET));
    }

    private static FormPost.Answer ok(FormPost.Answer answer) {
        assertThat(answer.status).as(answer.toString()).isBetween(200, 201);
        return answer;
    }

    /** A token issued to flow-agent, for the person, carrying flow-agent's SPIFFE ID. */
    private static void assertAgentTokenForThePerson(JsonNode access) {
        assertThat(access.path("azp").asText()).isEqualTo(AGENT);
        assertThat(access.path("preferred_username").asText()).isEqualTo(USER);
        assertThat(access.path("spiffe_id").asText()).isEqualTo(AGENT_ID);
    }

    private static void assertNoSvidClaims(String what, JsonNode claims) {
        for (String claim : ClaimsBindingIT.SVID_CLAIMS) {
            assertThat(claims.has(claim)).as(what + " must not carry '" + claim + "': " + claims).isFalse();
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
