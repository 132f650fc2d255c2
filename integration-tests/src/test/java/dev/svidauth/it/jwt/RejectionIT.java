package dev.svidauth.it.jwt;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REPORTING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per rejection rule, against the real server: each asserts 401 invalid_client, the
 * terse description (the failed check and its code), no token, the CLIENT_LOGIN_ERROR event's
 * stable reason code and, in its reason_detail, the documented detail.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RejectionIT {

    private static final String SINGLE_USE = "spiffe://example.org/ns/tests/sa/single-use";
    /** Of a trust domain without an entry: only there may a client name a key source of its own. */
    private static final String DEAD_KEYS = "spiffe://dead-keys.test/ns/tests/sa/dead-keys";
    private static final String DISABLED = "spiffe://example.org/ns/tests/sa/disabled";
    private static final String RSA_ONLY = "spiffe://example.org/ns/tests/sa/rsa-only";
    private static final String SHORT_LIVED = "spiffe://example.org/ns/tests/sa/short-lived";

    private final SvidRealm env;

    RejectionIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void createClients() throws Exception {
        String keys = env.forKeycloak(env.spire().jwksUrl());
        env.createSvidClient("single-use-client", SINGLE_USE, Map.of("svid.jwks.uri", keys, "svid.single.use", "true"), true);
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        env.createSvidClient("dead-keys-client", DEAD_KEYS, Map.of("svid.jwks.uri", env.forKeycloak(java.net.URI.create("http://127.0.0.1:" + deadPort + "/keys"))), true);
        env.createSvidClient("disabled-client", DISABLED, Map.of("svid.jwks.uri", keys), false);
        env.createSvidClient("rsa-only-client", RSA_ONLY, Map.of("svid.jwks.uri", keys, "svid.algorithms", "RS256"), true);
        env.createSvidClient("short-lived-client", SHORT_LIVED, Map.of("svid.jwks.uri", keys, "svid.max.lifetime", "300"), true);
    }

    private void assertRejected(FormPost.Answer answer, String reason, String description) {
        Rejections.assertTerse(answer, reason);
        assertThat(answer.json.has("access_token")).isFalse();
        JsonNode event = env.lastLoginError();
        assertThat(event).as("CLIENT_LOGIN_ERROR event").isNotNull();
        assertThat(event.path("details").path("reason").asText()).as(event.toString()).isEqualTo(reason);
        assertThat(Rejections.detail(event)).as(event.toString()).contains(description);
    }

    /**
     * A request that no client authenticator claims (no client, no credentials) runs through the
     * whole shipped flow and gets Keycloak's own 401. Its event tells whether the flow's last step,
     * federated-jwt, has a provider: Keycloak 26.7 enables client-auth-federated by default
     * (client_not_found); 26.4 and 26.5 only with that preview feature, and without it the step's
     * missing provider ends the flow as invalid_client_credentials.
     */
    @Test
    void requestNoAuthenticatorClaimsGetsKeycloaksOwn401() {
        FormPost.Answer answer = env.post(env.tokenEndpoint(), Map.of("grant_type", "client_credentials"), null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertThat(answer.json.has("access_token")).isFalse();
        JsonNode event = env.lastLoginError();
        assertThat(event).as("CLIENT_LOGIN_ERROR event").isNotNull();
        assertThat(event.path("details").path("reason").isMissingNode()).as("not svid-auth's: %s", event).isTrue();
        String version = System.getProperty("keycloak.server.version", "");
        boolean federatedJwtOffByDefault = version.startsWith("26.4.") || version.startsWith("26.5.");
        assertThat(event.path("error").asText()).as(event.toString())
                .isEqualTo(federatedJwtOffByDefault ? "invalid_client_credentials" : "client_not_found");
    }

    private String kid() {
        return env.spire().signingKey().getKeyID();
    }

    @Test
    void notAJws() {
        assertRejected(env.token("not-a-jwt"), "malformed", "not a compact JWS");
    }

    @Test
    void headerParameterOutsideAlgKidTyp() {
        String header = "{\"alg\":\"ES256\",\"jku\":\"https://evil.example/keys\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}";
        String svid = Forge.sign(env.spire().signingKey(), "ES256", header, Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        assertRejected(env.token(svid), "bad_header", "SVID header carries 'jku'");
    }

    @Test
    void algNone() {
        String svid = Forge.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + Forge.b64(Forge.claims(PAYMENTS, env.audience(), env.spire().issuer())) + ".";
        assertRejected(env.token(svid), "bad_alg", "'none' is never accepted");
    }

    @Test
    void symmetricAlgorithm() {
        String svid = Forge.b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "."
                + Forge.b64(Forge.claims(PAYMENTS, env.audience(), env.spire().issuer())) + ".c2lnbmF0dXJl";
        assertRejected(env.token(svid), "bad_alg", "is symmetric");
    }

    @Test
    void invalidSpiffeId() {
        String svid = env.spire().svid("spiffe://Example.org/ns/apps/sa/payments").unchecked().audience(env.audience()).mint();
        assertRejected(env.token(svid), "bad_spiffe_id", "not a valid SPIFFE ID");
    }

    @Test
    void noClientForSpiffeId() {
        assertRejected(env.token(env.svid("spiffe://example.org/ns/nobody/sa/x")), "unknown_client",
                "accepts SPIFFE ID 'spiffe://example.org/ns/nobody/sa/x'");
    }

    @Test
    void clientIdOfNoClient() {
        assertRejected(env.token(JWT_SPIFFE, env.svid(PAYMENTS), "no-such-client"), "unknown_client",
                "client_id 'no-such-client' is not a client of realm 'svid'");
    }

    @Test
    void ambiguousWithoutClientId() {
        assertRejected(env.token(env.svid(REPORTING)), "ambiguous_client", "send client_id to choose one");
    }

    @Test
    void clientIdNamingAClientThatDoesNotAcceptTheSpiffeId() {
        assertRejected(env.token(JWT_SPIFFE, env.svid(PAYMENTS), "reporting-eu"), "spiffe_id_mismatch",
                "is not accepted by client 'reporting-eu'");
    }

    @Test
    void clientIdWithoutAssertion() {
        FormPost.Answer answer = env.post(env.tokenEndpoint(), Map.of("grant_type", "client_credentials", "client_id", "payments-api"), null);
        assertRejected(answer, "missing_assertion", "authenticates with a JWT-SVID");
    }

    @Test
    void issuerDiffersByTrailingSlash() {
        String svid = env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", env.spire().issuer() + "/").mint();
        assertRejected(env.token(svid), "bad_issuer", "does not match the issuer pinned for this client");
    }

    @Test
    void issuerAbsentWhilePinned() {
        String svid = env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", null).mint();
        assertRejected(env.token(svid), "bad_issuer", "has no 'iss' claim");
    }

    @Test
    void audienceOfAnotherServer() {
        String svid = env.spire().mint(PAYMENTS, List.of("https://other-server.example/token"));
        assertRejected(env.token(svid), "bad_audience", "'https://other-server.example/token' is not accepted");
    }

    @Test
    void extraForeignAudience() {
        String svid = env.spire().mint(PAYMENTS, List.of(env.audience(), "https://other-server.example"));
        assertRejected(env.token(svid), "bad_audience", "'https://other-server.example' is not accepted");
    }

    @Test
    void expired() {
        Instant iat = Instant.now().minus(Duration.ofMinutes(10));
        String svid = env.spire().svid(PAYMENTS).audience(env.audience()).issuedAt(iat).expiresAt(iat.plusSeconds(300)).mint();
        assertRejected(env.token(svid), "expired", "SVID expired at");
    }

    @Test
    void notBeforeInTheFuture() {
        String svid = env.spire().svid(PAYMENTS).audience(env.audience())
                .claim("nbf", Instant.now().plusSeconds(600).getEpochSecond()).mint();
        assertRejected(env.token(svid), "not_yet_valid", "is not valid before");
    }

    /**
     * SPIRE reads its clock once for iat and again for exp, so an SVID with the TTL the client's
     * svid.max.lifetime allows (300 s) can carry exp - iat = 301: accepted. 302 is not.
     */
    @Test
    void lifetimeOfTheTtlPlusTheSecondOfSpiresTwoClockReadsIsAccepted() {
        Instant iat = Instant.ofEpochSecond(Instant.now().getEpochSecond() - 1);
        String ttlPlusOne = env.spire().svid(SHORT_LIVED).audience(env.audience()).issuedAt(iat).expiresAt(iat.plusSeconds(301)).mint();
        FormPost.Answer accepted = env.token(ttlPlusOne);
        assertThat(accepted.status).as(accepted.toString()).isEqualTo(200);

        String ttlPlusTwo = env.spire().svid(SHORT_LIVED).audience(env.audience()).issuedAt(iat).expiresAt(iat.plusSeconds(302)).mint();
        assertRejected(env.token(ttlPlusTwo), "lifetime_too_long", "SVID lifetime of 302 s exceeds the 300 s allowed");
    }

    @Test
    void lifetimeOverTheClientCap() {
        String svid = env.spire().svid(SHORT_LIVED).audience(env.audience()).ttl(Duration.ofMinutes(30)).mint();
        assertRejected(env.token(svid), "lifetime_too_long", "exceeds the 300 s allowed");
    }

    @Test
    void algorithmOutsideClientAllowlist() {
        assertRejected(env.token(env.svid(RSA_ONLY)), "bad_alg", "not allowed for this client");
    }

    @Test
    void unknownKid() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k" + "x".repeat(31)).generate();
        String svid = Forge.sign(other, "ES256", Forge.header("ES256", other.getKeyID()),
                Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        assertRejected(env.token(svid), "unknown_kid", "is not published at");
    }

    @Test
    void signatureFromAnotherKeyWithThePublishedKid() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID(kid()).generate();
        String svid = Forge.sign(other, "ES256", Forge.header("ES256", kid()),
                Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        assertRejected(env.token(svid), "bad_signature", "signature is invalid");
    }

    @Test
    void secondUseOfSingleUseSvid() {
        String svid = env.svid(SINGLE_USE);
        assertThat(env.token(svid).status).isEqualTo(200);
        assertRejected(env.token(svid), "replayed", "already used");
    }

    @Test
    void keySourceDown() {
        assertRejected(env.token(env.spire().svid(DEAD_KEYS).unchecked().audience(env.audience()).mint()), "key_source_unavailable", "is unavailable");
    }

    @Test
    void disabledClient() {
        assertRejected(env.token(env.svid(DISABLED)), "client_disabled", "is disabled");
    }
}
