package dev.svidauth.it.wit;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.WitSvid;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Access tokens bound to the WIT-SVID's key on the real server: a client with the
 * {@code oidc-svid-wit-key-binding} mapper that authenticates with its WIT-SVID gets
 * {@code cnf.jkt} = the RFC 7638 thumbprint of the WIT's {@code cnf.jwk} (computed here with
 * nimbus, independently of the server), each WIT key its own; without the mapper, or for a
 * JWT-SVID client, no {@code cnf}; introspection and userinfo answer for the bound token; a DPoP
 * proof in the token request wins, with the WIT's key or another.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WitBoundTokenIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BOUND = "wit-bound";
    private static final String BOUND_ID = "spiffe://bind.test/ns/apps/sa/bound";
    private static final String UNBOUND = "wit-unbound";
    private static final String UNBOUND_ID = "spiffe://bind.test/ns/apps/sa/unbound";
    private static final String JWT_CLIENT = "jwt-with-binding-mapper";
    private static final String JWT_CLIENT_ID = "spiffe://example.org/ns/apps/sa/jwt-binding";
    private static final String BINDING_MAPPER = "oidc-svid-wit-key-binding";

    private final SvidRealm env;
    private SpireEmulator spire;

    WitBoundTokenIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("bind.test").witSvids(true).x509Authority(true).start();
        String bundle = env.forKeycloak(spire.bundleUrl());
        create(BOUND, "client-svid-wit", Map.of("svid.spiffe.id", BOUND_ID, "svid.bundle.uri", bundle), true);
        create(UNBOUND, "client-svid-wit", Map.of("svid.spiffe.id", UNBOUND_ID, "svid.bundle.uri", bundle), false);
        create(JWT_CLIENT, "client-svid-jwt", Map.of("svid.spiffe.id", JWT_CLIENT_ID,
                "svid.jwks.uri", env.spire().jwksUrl().toString()), true);
    }

    @AfterAll
    void stop() {
        if (spire != null) {
            spire.close();
        }
    }

    /**
     * A service-account client of {@code authenticator}, with an audience mapper naming itself
     * (Keycloak answers introspection only to a client in the token's audience) and, if
     * {@code bound}, the WIT key binding mapper; replaces an earlier one.
     */
    private void create(String clientId, String authenticator, Map<String, String> attributes, boolean bound) {
        for (JsonNode c : env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId))) {
            env.admin().delete("/" + SvidRealm.REALM + "/clients/" + c.path("id").asText());
        }
        Map<String, Object> rep = SvidRealm.svidClient(clientId, attributes);
        rep.put("clientAuthenticatorType", authenticator);
        Map<String, Object> audience = Map.of("name", "audience", "protocol", "openid-connect",
                "protocolMapper", "oidc-audience-mapper", "config", Map.of("included.client.audience", clientId,
                        "access.token.claim", "true", "introspection.token.claim", "true"));
        Map<String, Object> binding = Map.of("name", "WIT key binding", "protocol", "openid-connect",
                "protocolMapper", BINDING_MAPPER, "config", Map.of());
        rep.put("protocolMappers", bound ? List.of(audience, binding) : List.of(audience));
        env.admin().post("/" + SvidRealm.REALM + "/clients", rep);
    }

    // ------------------------------------------------------------------ the binding

    @Test
    void theTokenIsBoundToTheThumbprintOfTheWitKey() throws JOSEException {
        WitSvid wit = spire.mintWitSvid(BOUND_ID);
        FormPost.Answer answer = token(wit, null, Map.of());

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("token_type").asText()).isEqualToIgnoringCase("Bearer");
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo(BOUND);
        assertThat(token.path("cnf").path("jkt").asText()).as(token.toString()).isEqualTo(thumbprint(wit.workloadKey()));
        assertThat(token.path("cnf").size()).as("cnf holds jkt only: " + token.path("cnf")).isEqualTo(1);
    }

    @Test
    void anotherWitWithAnotherKeyGetsItsOwnThumbprint() throws JOSEException {
        WitSvid first = spire.mintWitSvid(BOUND_ID);
        WitSvid second = spire.mintWitSvid(BOUND_ID);
        assertThat(thumbprint(second.workloadKey())).as("the emulator gives each WIT-SVID a key of its own")
                .isNotEqualTo(thumbprint(first.workloadKey()));

        JsonNode firstToken = token(first, null, Map.of()).accessToken();
        JsonNode secondToken = token(second, null, Map.of()).accessToken();

        assertThat(firstToken.path("cnf").path("jkt").asText()).isEqualTo(thumbprint(first.workloadKey()));
        assertThat(secondToken.path("cnf").path("jkt").asText()).isEqualTo(thumbprint(second.workloadKey()));
    }

    @Test
    void withoutTheMapperTheTokenIsNotBound() {
        FormPost.Answer answer = token(spire.mintWitSvid(UNBOUND_ID), null, Map.of());

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("token_type").asText()).isEqualToIgnoringCase("Bearer");
        assertThat(answer.accessToken().has("cnf")).as(answer.accessToken().toString()).isFalse();
    }

    @Test
    void aJwtSvidClientWithTheMapperGetsNoBinding() {
        FormPost.Answer answer = env.token(env.svid(JWT_CLIENT_ID));

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(JWT_CLIENT);
        assertThat(answer.accessToken().has("cnf")).as(answer.accessToken().toString()).isFalse();
    }

    // ------------------------------------------------------------------ what a resource server sees

    @Test
    void introspectionShowsTheBindingOfTheTokenNotTheCallersKey() throws JOSEException {
        WitSvid wit = spire.mintWitSvid(BOUND_ID);
        String accessToken = token(wit, null, Map.of()).json.path("access_token").asText();

        // introspected by the same client, authenticated with another WIT-SVID (another key)
        WitSvid caller = spire.mintWitSvid(BOUND_ID);
        FormPost.Answer answer = post(URI.create(env.audience() + "/protocol/openid-connect/token/introspect"),
                caller, null, Map.of("token", accessToken));

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("active").asBoolean()).as(answer.toString()).isTrue();
        assertThat(answer.json.path("cnf").path("jkt").asText()).as(answer.toString()).isEqualTo(thumbprint(wit.workloadKey()));
    }

    @Test
    void userinfoAcceptsTheBoundBearerToken() throws IOException, InterruptedException {
        FormPost.Answer answer = token(spire.mintWitSvid(BOUND_ID), null, Map.of("scope", "openid"));
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);

        HttpResponse<String> userinfo = HTTP.send(HttpRequest.newBuilder(URI.create(env.audience() + "/protocol/openid-connect/userinfo"))
                .header("Authorization", "Bearer " + answer.json.path("access_token").asText()).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(userinfo.statusCode()).as(userinfo.body()).isEqualTo(200);
        assertThat(userinfo.body()).contains("service-account-" + BOUND);
    }

    // ------------------------------------------------------------------ with Keycloak's DPoP

    @Test
    void aDpopProofWithTheWitKeyGivesADpopTokenBoundToThatKey() throws JOSEException {
        WitSvid wit = spire.mintWitSvid(BOUND_ID);
        FormPost.Answer answer = token(wit, dpopProof(wit.workloadKey()), Map.of());

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("token_type").asText()).isEqualTo("DPoP");
        assertThat(answer.accessToken().path("cnf").path("jkt").asText()).isEqualTo(thumbprint(wit.workloadKey()));
    }

    @Test
    void aDpopProofWithAnotherKeyWinsAsTheAttestationDraftAllows() throws JOSEException {
        WitSvid wit = spire.mintWitSvid(BOUND_ID);
        ECKey dpopKey = new ECKeyGenerator(Curve.P_256).generate();
        FormPost.Answer answer = token(wit, dpopProof(dpopKey), Map.of());

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("token_type").asText()).isEqualTo("DPoP");
        String jkt = answer.accessToken().path("cnf").path("jkt").asText();
        assertThat(jkt).isEqualTo(thumbprint(dpopKey)).isNotEqualTo(thumbprint(wit.workloadKey()));
    }

    @Test
    void aDpopProofForAnUnboundClientBindsAsKeycloakDoes() throws JOSEException {
        WitSvid wit = spire.mintWitSvid(UNBOUND_ID);
        FormPost.Answer answer = token(wit, dpopProof(wit.workloadKey()), Map.of());

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.path("token_type").asText()).isEqualTo("DPoP");
        assertThat(answer.accessToken().path("cnf").path("jkt").asText()).isEqualTo(thumbprint(wit.workloadKey()));
    }

    // ------------------------------------------------------------------ helpers

    /** RFC 7638 SHA-256 thumbprint of the public half of {@code key}, base64url, as nimbus computes it. */
    private static String thumbprint(JWK key) throws JOSEException {
        return key.toPublicJWK().computeThumbprint("SHA-256").toString();
    }

    /** client_credentials at the token endpoint with the WIT-SVID, a fresh PoP and, unless null, a DPoP proof. */
    private FormPost.Answer token(WitSvid wit, String dpop, Map<String, String> extraForm) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.putAll(extraForm);
        return post(env.tokenEndpoint(), wit, dpop, form);
    }

    private FormPost.Answer post(URI uri, WitSvid wit, String dpop, Map<String, String> form) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("OAuth-Client-Attestation", wit.token())
                .header("OAuth-Client-Attestation-PoP", wit.pop(env.audience()))
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(form)));
        if (dpop != null) {
            request.header("DPoP", dpop);
        }
        try {
            HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new FormPost.Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An RFC 9449 DPoP proof for POST to the token endpoint, signed by {@code key} (EC P-256, ES256). */
    private String dpopProof(JWK key) throws JOSEException {
        SignedJWT proof = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK()).build(),
                new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", "POST")
                        .claim("htu", env.tokenEndpoint().toString()).issueTime(new Date()).build());
        proof.sign(new ECDSASigner(key.toECKey()));
        return proof.serialize();
    }
}
