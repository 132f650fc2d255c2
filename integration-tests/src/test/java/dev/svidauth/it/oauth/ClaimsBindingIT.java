package dev.svidauth.it.oauth;

import dev.svidauth.it.support.BrowserLogin;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.testkit.FormPost;
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

import static dev.svidauth.it.support.SvidRealm.JWT_BEARER;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SVID claims are bound to the client that presented the SVID. A person signs in to an
 * SVID-authenticated web client ({@code agent-web}, authorization code flow, the client
 * authenticates at the token endpoint with its JWT-SVID), then opens an ordinary client-secret web
 * app ({@code web-app}) in the same browser: an SSO login on the same user session. Both clients
 * have the same client scope with SVID claim mappers. The web app's tokens (issued, refreshed),
 * userinfo and introspection must carry none of the SVID's claims; the web client's must carry
 * its own, and a newer SVID presented at refresh replaces them.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClaimsBindingIT {

    static final String AGENT_WEB = "agent-web";
    static final String AGENT_WEB_ID = "spiffe://example.org/ns/web/sa/agent-web";
    static final String SECOND_AGENT = "second-agent-web";
    static final String SECOND_AGENT_ID = "spiffe://example.org/ns/web/sa/second-agent";
    static final String WEB_APP = "web-app";
    static final String WEB_APP_SECRET = "web-app-secret-for-tests";
    static final String REDIRECT = "http://127.0.0.1:9/callback";
    static final String USER = "binding-user";
    static final String PASSWORD = "binding-user-password";
    static final String SCOPE = "svid-shared";
    /** Every claim the shared scope's SVID mappers can write. */
    static final List<String> SVID_CLAIMS = List.of("spiffe_id", "is_agent", "client_type", "svid_trust_domain");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final SvidRealm env;

    ClaimsBindingIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        createSharedScope(env);
        String keys = env.spire().jwksUrl().toString();
        createWebClient(env, AGENT_WEB, Map.of("clientAuthenticatorType", "client-svid-jwt",
                "attributes", Map.of("svid.spiffe.id", AGENT_WEB_ID, "svid.jwks.uri", keys)));
        createWebClient(env, SECOND_AGENT, Map.of("clientAuthenticatorType", "client-svid-jwt",
                "attributes", Map.of("svid.spiffe.id", SECOND_AGENT_ID, "svid.jwks.uri", keys)));
        createWebClient(env, WEB_APP, Map.of("clientAuthenticatorType", "client-secret", "secret", WEB_APP_SECRET));
        env.createUser(USER, PASSWORD, null);
    }

    @Test
    void svidClaimsOfOneClientNeverReachAnotherClientOfTheSameUserSession() {
        BrowserLogin browser = new BrowserLogin(URI.create(env.audience()));

        FormPost.Answer agent = codeWithSvid(browser.authorize(AGENT_WEB, REDIRECT, USER, PASSWORD), AGENT_WEB,
                agentSvid(AGENT_WEB_ID, "ai-agent"), JWT_SPIFFE);
        JsonNode agentToken = agent.accessToken();
        assertThat(agentToken.path("azp").asText()).isEqualTo(AGENT_WEB);
        assertThat(agentToken.path("spiffe_id").asText()).isEqualTo(AGENT_WEB_ID);
        assertThat(agentToken.path("is_agent").asBoolean()).isTrue();
        String sessionId = agentToken.path("sid").asText();

        // The same browser opens the web app: SSO, no password, the same user session.
        FormPost.Answer web = env.post(env.tokenEndpoint(), Map.of("grant_type", "authorization_code",
                "code", browser.authorize(WEB_APP, REDIRECT, USER, PASSWORD), "redirect_uri", REDIRECT),
                WEB_APP + ":" + WEB_APP_SECRET);
        assertThat(web.status).as(web.toString()).isEqualTo(200);
        JsonNode webToken = web.accessToken();
        assertThat(webToken.path("azp").asText()).isEqualTo(WEB_APP);
        assertThat(webToken.path("sid").asText()).as("one SSO session").isEqualTo(sessionId);
        assertNoSvidClaims("web-app access token", webToken);
        assertNoSvidClaims("web-app ID token", SvidRealm.payload(web.json.path("id_token").asText()));
        assertNoSvidClaims("web-app userinfo", userinfo(web.json.path("access_token").asText()));
        assertNoSvidClaims("web-app introspection", introspect(web.json.path("access_token").asText(),
                Map.of(), WEB_APP + ":" + WEB_APP_SECRET));

        FormPost.Answer webRefreshed = env.post(env.tokenEndpoint(), Map.of("grant_type", "refresh_token",
                "refresh_token", web.json.path("refresh_token").asText()), WEB_APP + ":" + WEB_APP_SECRET);
        assertThat(webRefreshed.status).as(webRefreshed.toString()).isEqualTo(200);
        assertNoSvidClaims("web-app refreshed access token", webRefreshed.accessToken());

        // The SVID client's own tokens keep its claims, in userinfo and introspection too.
        String agentAccess = agent.json.path("access_token").asText();
        assertThat(userinfo(agentAccess).path("spiffe_id").asText()).isEqualTo(AGENT_WEB_ID);
        // Introspected by agent-web itself, authenticated with a newer SVID that says batch-job:
        // the answer shows what the token was issued with, not the caller's SVID of this request.
        JsonNode agentIntrospection = introspect(agentAccess, Map.of("client_assertion_type", JWT_SPIFFE,
                "client_assertion", agentSvid(AGENT_WEB_ID, "batch-job")), null);
        assertThat(agentIntrospection.path("spiffe_id").asText()).isEqualTo(AGENT_WEB_ID);
        assertThat(agentIntrospection.path("is_agent").asBoolean()).as(agentIntrospection.toString()).isTrue();
        assertThat(agentIntrospection.path("client_type").asText()).isEqualTo("ai-agent");
    }

    @Test
    void aNewerSvidAtRefreshReplacesTheClaimsAndTwoSvidClientsKeepTheirOwn() {
        BrowserLogin browser = new BrowserLogin(URI.create(env.audience()));
        FormPost.Answer first = codeWithSvid(browser.authorize(AGENT_WEB, REDIRECT, USER, PASSWORD), AGENT_WEB,
                agentSvid(AGENT_WEB_ID, "ai-agent"), JWT_SPIFFE);
        FormPost.Answer second = codeWithSvid(browser.authorize(SECOND_AGENT, REDIRECT, USER, PASSWORD), null,
                agentSvid(SECOND_AGENT_ID, "batch-job"), JWT_BEARER);
        assertThat(second.accessToken().path("sid").asText()).isEqualTo(first.accessToken().path("sid").asText());
        assertThat(second.accessToken().path("spiffe_id").asText()).isEqualTo(SECOND_AGENT_ID);
        assertThat(second.accessToken().path("is_agent").asBoolean()).isFalse();

        // agent-web refreshes with a newer SVID that says batch-job: its claims follow the newer SVID,
        // never the second client's (authenticated later in the same user session).
        FormPost.Answer refreshed = refreshWithSvid(first.json.path("refresh_token").asText(),
                agentSvid(AGENT_WEB_ID, "batch-job"));
        JsonNode token = refreshed.accessToken();
        assertThat(token.path("spiffe_id").asText()).isEqualTo(AGENT_WEB_ID);
        assertThat(token.path("client_type").asText()).isEqualTo("batch-job");
        assertThat(token.path("is_agent").asBoolean()).isFalse();
        assertThat(userinfo(refreshed.json.path("access_token").asText()).path("client_type").asText())
                .as("userinfo reads the client session's notes, replaced by the newer SVID").isEqualTo("batch-job");

        FormPost.Answer secondRefreshed = refreshWithSvid(second.json.path("refresh_token").asText(),
                agentSvid(SECOND_AGENT_ID, "ai-agent"));
        assertThat(secondRefreshed.accessToken().path("spiffe_id").asText()).isEqualTo(SECOND_AGENT_ID);
        assertThat(secondRefreshed.accessToken().path("is_agent").asBoolean()).isTrue();
    }

    // ---------------------------------------------------------------------------------- helpers

    private String agentSvid(String spiffeId, String clientType) {
        return env.spire().svid(spiffeId).audience(env.audience()).claim("client_type", clientType).mint();
    }

    private FormPost.Answer codeWithSvid(String code, String clientId, String svid, String assertionType) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        form.put("redirect_uri", REDIRECT);
        form.put("client_assertion_type", assertionType);
        form.put("client_assertion", svid);
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        FormPost.Answer answer = env.post(env.tokenEndpoint(), form, null);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        return answer;
    }

    private FormPost.Answer refreshWithSvid(String refreshToken, String svid) {
        FormPost.Answer answer = env.post(env.tokenEndpoint(), Map.of("grant_type", "refresh_token",
                "refresh_token", refreshToken, "client_assertion_type", JWT_SPIFFE, "client_assertion", svid), null);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        return answer;
    }

    private JsonNode userinfo(String accessToken) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.audience() + "/protocol/openid-connect/userinfo"))
                    .header("Authorization", "Bearer " + accessToken).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return new FormPost.Answer(r.statusCode(), r.body()).json;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Introspects as the token's own client, which its audience mapper puts into the token's audience. */
    private JsonNode introspect(String accessToken, Map<String, String> clientAuth, String basic) {
        Map<String, String> form = new LinkedHashMap<>(clientAuth);
        form.put("token", accessToken);
        FormPost.Answer answer = env.post(URI.create(env.audience() + "/protocol/openid-connect/token/introspect"),
                form, basic);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("active").asBoolean()).as(answer.toString()).isTrue();
        return answer.json;
    }

    private static void assertNoSvidClaims(String what, JsonNode claims) {
        assertThat(claims).as(what).isNotNull();
        for (String claim : SVID_CLAIMS) {
            assertThat(claims.has(claim)).as(what + " must not carry '" + claim + "': " + claims).isFalse();
        }
    }

    // ------------------------------------------------------------------------- realm set-up

    /** A client scope with SVID claim mappers in every token kind, as users share them. */
    static void createSharedScope(SvidRealm env) {
        if (env.admin().get("/" + REALM + "/client-scopes").toString().contains("\"" + SCOPE + "\"")) {
            return;
        }
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("name", SCOPE);
        scope.put("protocol", "openid-connect");
        scope.put("attributes", Map.of("include.in.token.scope", "false"));
        scope.put("protocolMappers", List.of(
                mapper("spiffe_id", "spiffe_id", null),
                mapper("svid_trust_domain", "trust_domain", null),
                mapper("client_type", "client_type", null),
                mapper("is_agent", "client_type", "ai-agent")));
        env.admin().post("/" + REALM + "/client-scopes", scope);
    }

    private static Map<String, Object> mapper(String claim, String source, String match) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("svid.claim", source);
        config.put("claim.name", claim);
        if (match != null) {
            config.put("svid.match.value", match);
        }
        config.put("access.token.claim", "true");
        config.put("id.token.claim", "true");
        config.put("userinfo.token.claim", "true");
        config.put("introspection.token.claim", "true");
        return Map.of("name", claim, "protocol", "openid-connect", "protocolMapper", "oidc-svid-claim-mapper", "config", config);
    }

    /** A confidential web client (authorization code flow) with the shared scope as a default scope. */
    static void createWebClient(SvidRealm env, String clientId, Map<String, Object> auth) {
        createWebClient(env, clientId, auth, List.of(clientId));
    }

    /**
     * The same, with {@code auth} holding the authentication settings and any attributes, and
     * audience mappers for {@code audiences} (Keycloak answers introspection only to a client in
     * the token's audience, and exchanges only tokens whose audience holds the requester).
     */
    static void createWebClient(SvidRealm env, String clientId, Map<String, Object> auth, List<String> audiences) {
        if (env.admin().send("GET", "/" + REALM + "/clients?clientId=" + SvidRealm.enc(clientId), null).body().contains(clientId)) {
            return;
        }
        Map<String, Object> rep = new LinkedHashMap<>(auth);
        rep.put("clientId", clientId);
        rep.put("enabled", true);
        rep.put("publicClient", false);
        rep.put("standardFlowEnabled", true);
        rep.put("serviceAccountsEnabled", false);
        rep.put("redirectUris", List.of(REDIRECT));
        rep.put("protocolMappers", audiences.stream().map(audience -> Map.of("name", "audience " + audience,
                "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper", "config", Map.of(
                        "included.client.audience", audience, "access.token.claim", "true",
                        "introspection.token.claim", "true"))).toList());
        env.admin().post("/" + REALM + "/clients", rep);
        String uuid = env.admin().clientUuid(REALM, clientId);
        String scopeId = null;
        for (JsonNode s : env.admin().get("/" + REALM + "/client-scopes")) {
            if (SCOPE.equals(s.path("name").asText())) {
                scopeId = s.path("id").asText();
            }
        }
        env.admin().put("/" + REALM + "/clients/" + uuid + "/default-client-scopes/" + scopeId, null);
    }
}
