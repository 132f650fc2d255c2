package dev.svidauth.it.attack;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.spire.SpireEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static dev.svidauth.it.support.SvidRealm.AGENT;
import static dev.svidauth.it.support.SvidRealm.INVENTORY;
import static dev.svidauth.it.support.SvidRealm.JWT_BEARER;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A catalog of named attacks on the token endpoint of a real Keycloak with the drop-in JAR. Each
 * one must end in 401 invalid_client naming the failed check, exactly one CLIENT_LOGIN_ERROR
 * event with the stable {@code reason} code, no CLIENT_LOGIN event and no token. The few inputs
 * that Keycloak itself answers before svid-auth runs are marked as such, with what the server was
 * observed to answer; they must still be 4xx without a token.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackCatalogIT {

    private static final String SINGLE_USE = "spiffe://example.org/ns/atk/sa/single-use";
    private static final String DISABLED = "spiffe://example.org/ns/atk/sa/disabled";
    private static final String OTHER_TD_PAYMENTS = "spiffe://other.org/ns/apps/sa/payments";
    /** Order of the P-256 group, for the (r, n - s) twin of an ECDSA signature. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    /** HTTP/1.1 only: raw requests must reach the server as sent, without an h2c upgrade. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The minimum the catalog must keep; see {@link #catalogIsLargeAndNamesAreUnique()}. */
    static final int MINIMUM_CASES = 40;

    private final SvidRealm env;
    /** A second trust domain with its own SPIRE and its own, real signing key. */
    private SpireEmulator other;

    AttackCatalogIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        String keys = env.spire().jwksUrl().toString();
        env.createSvidClient("atk-single-use", SINGLE_USE, Map.of("svid.jwks.uri", keys, "svid.single.use", "true"), true);
        env.createSvidClient("atk-disabled", DISABLED, Map.of("svid.jwks.uri", keys), false);
        other = SpireEmulator.builder().trustDomain("other.org").issuer(SpireEmulator.SELF).start();
    }

    @AfterAll
    void tearDown() {
        if (other != null) {
            other.close();
        }
    }

    // ------------------------------------------------------------------------------ the catalog

    /**
     * One attack: how to send it and what must come back. {@code reason} null marks an input that
     * Keycloak answers before svid-auth runs (no reason detail can exist then).
     */
    record Attack(String name, Supplier<FormPost.Answer> send, int status, String error, String reason, String fragment,
                  boolean oneSuccessFirst) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Attack refused(String name, String reason, String fragment, Supplier<FormPost.Answer> send) {
        return new Attack(name, send, 401, "invalid_client", reason, fragment, false);
    }

    private static Attack replay(String name, String reason, String fragment, Supplier<FormPost.Answer> send) {
        return new Attack(name, send, 401, "invalid_client", reason, fragment, true);
    }

    private static Attack beforeSvidAuth(String name, int status, String error, String fragment, Supplier<FormPost.Answer> send) {
        return new Attack(name, send, status, error, null, fragment, false);
    }

    List<Attack> catalog() {
        List<Attack> c = new ArrayList<>();

        // --- algorithm and JOSE header
        c.add(refused("alg none, no signature", "bad_alg", "'none' is never accepted",
                () -> token(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims(PAYMENTS)) + ".")));
        c.add(refused("alg NONE in upper case, genuine signature kept", "bad_alg", "'none' is never accepted",
                () -> token(withHeader(env.svid(PAYMENTS), "{\"alg\":\"NONE\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}"))));
        c.add(refused("HS256 keyed with the published public key's bytes (key confusion)", "bad_alg", "is symmetric",
                this::hs256WithPublicKey));
        c.add(refused("RS256 header naming the ES256 key", "bad_signature", "cannot verify RS256 signatures",
                () -> token(withHeader(env.svid(PAYMENTS), Forge.header("RS256", kid())))));
        c.add(refused("header jku pointing at the attacker's keys", "bad_header", "SVID header carries 'jku'",
                () -> token(attackerSigned("{\"alg\":\"ES256\",\"jku\":\"https://evil.example/keys\",\"kid\":\"evil\",\"typ\":\"JWT\"}"))));
        c.add(refused("header x5u pointing at the attacker's certificate", "bad_header", "SVID header carries 'x5u'",
                () -> token(attackerSigned("{\"alg\":\"ES256\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\",\"x5u\":\"https://evil.example/cert.pem\"}"))));
        c.add(refused("header jwk embedding the attacker's key", "bad_header", "SVID header carries 'jwk'",
                this::embeddedJwk));
        c.add(refused("header x5c embedding a certificate chain", "bad_header", "SVID header carries 'x5c'",
                () -> token(attackerSigned("{\"alg\":\"ES256\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\",\"x5c\":[\"MIIBszCCAVmgAwIBAgIUQ\"]}"))));
        c.add(refused("header crit, signed with the real key", "bad_header", "SVID header carries 'crit'",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256",
                        "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}", claims(PAYMENTS)))));
        c.add(refused("typ at+jwt", "bad_header", "'typ' must be JWT or JOSE",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256",
                        "{\"alg\":\"ES256\",\"kid\":\"" + kid() + "\",\"typ\":\"at+jwt\"}", claims(PAYMENTS)))));
        c.add(refused("header of 4 KB", "bad_header", "at most 1024 are accepted",
                () -> token(withHeader(env.svid(PAYMENTS), "{\"alg\":\"ES256\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\",\"p\":\""
                        + "x".repeat(4096) + "\"}"))));

        // --- kid
        c.add(refused("kid path traversal", "unknown_kid", "SVID key id '../../../../../etc/passwd' is not published",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", "../../../../../etc/passwd"), claims(PAYMENTS)))));
        c.add(refused("kid SQL injection", "unknown_kid", "is not published at",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", "x' OR '1'='1"), claims(PAYMENTS)))));
        c.add(refused("kid of 10 KB", "bad_header", "at most 1024 are accepted",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", "k".repeat(10 * 1024)), claims(PAYMENTS)))));
        c.add(refused("kid of 300 characters", "bad_header", "'kid' is longer than 256 characters",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", "k".repeat(300)), claims(PAYMENTS)))));
        c.add(refused("unknown kid", "unknown_kid", "is not published at", this::unknownKid));

        // --- signature
        c.add(refused("signature stripped", "bad_signature", "SVID has no signature",
                () -> token(stripSignature(env.svid(PAYMENTS)))));
        c.add(refused("signature part removed (two parts)", "malformed", "expected 3 dot-separated parts, got 2",
                () -> {
                    String t = env.svid(PAYMENTS);
                    return token(t.substring(0, t.lastIndexOf('.')));
                }));
        c.add(refused("signature from another key with the published kid", "bad_signature", "signature is invalid",
                this::anotherKeySameKid));
        c.add(refused("payload edited after signing (exp pushed out)", "bad_signature", "signature is invalid",
                this::payloadEditedAfterSigning));
        c.add(refused("signature of all zero bytes (r = s = 0)", "bad_signature", "signature is invalid",
                () -> token(withSignature(env.svid(PAYMENTS), new byte[64]))));
        c.add(refused("encrypted JWT (five parts)", "malformed", "encrypted JWT (JWE)",
                () -> token("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d")));

        // --- time
        c.add(refused("expired", "expired", "SVID expired at", () -> {
            Instant iat = Instant.now().minus(Duration.ofMinutes(10));
            return token(env.spire().svid(PAYMENTS).audience(env.audience()).issuedAt(iat).expiresAt(iat.plusSeconds(300)).mint());
        }));
        c.add(refused("nbf in the future", "not_yet_valid", "is not valid before",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("nbf", Instant.now().plusSeconds(600).getEpochSecond()).mint())));
        c.add(refused("iat in the future", "not_yet_valid", "was issued in the future",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).issuedAt(Instant.now().plusSeconds(600)).mint())));
        c.add(refused("lifetime over the client's cap (2 h > 3600 s)", "lifetime_too_long", "exceeds the 3600 s allowed",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).ttl(Duration.ofHours(2)).mint())));
        c.add(refused("exp as a string", "malformed", "'exp' claim is not a number",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("exp", Long.toString(Instant.now().getEpochSecond() + 300)).mint())));
        c.add(refused("exp beyond year 9999", "malformed", "'exp' claim is out of range",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("exp", new BigInteger("100000000000000000000")).mint())));

        // --- required claims
        c.add(refused("missing exp", "malformed", "SVID has no 'exp' claim",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("exp", null).mint())));
        c.add(refused("missing sub", "malformed", "SVID has no 'sub' claim", () -> {
            long now = Instant.now().getEpochSecond();
            return token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()),
                    "{\"aud\":[\"" + env.audience() + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now + ",\"iss\":\"" + env.spire().issuer() + "\"}"));
        }));
        c.add(refused("missing aud", "malformed", "SVID has no 'aud' claim",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("aud", null).mint())));
        c.add(refused("empty aud array", "malformed", "non-empty array of strings",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("aud", List.of()).mint())));

        // --- audience
        c.add(refused("aud for another server", "bad_audience", "'https://other-server.example/realms/svid' is not accepted",
                () -> token(env.spire().mint(PAYMENTS, List.of("https://other-server.example/realms/svid")))));
        c.add(refused("extra aud values next to ours", "bad_audience", "'https://other-server.example' is not accepted",
                () -> token(env.spire().mint(PAYMENTS, List.of(env.audience(), "https://other-server.example", "spiffe://example.org/ns/db")))));
        c.add(refused("aud = realm URL with a trailing slash", "bad_audience", "is not accepted here",
                () -> token(env.spire().mint(PAYMENTS, List.of(env.audience() + "/")))));
        // the realm issuer is the only audience by default (draft-02, rfc7523bis); endpoint URLs are an opt-in
        c.add(refused("aud = the token endpoint URL (issuer only by default)", "bad_audience", null,
                () -> token(env.spire().mint(PAYMENTS, List.of(env.tokenEndpoint().toString())))));
        c.add(refused("aud = the token endpoint URL next to the issuer", "bad_audience", null,
                () -> token(env.spire().mint(PAYMENTS, List.of(env.audience(), env.tokenEndpoint().toString())))));
        c.add(refused("aud = the introspection URL, presented at the token endpoint", "bad_audience", null,
                () -> token(env.spire().mint(PAYMENTS, List.of(env.audience() + "/protocol/openid-connect/token/introspect")))));

        // --- issuer (payments-api pins it)
        c.add(refused("iss with a trailing slash", "bad_issuer", "does not match the issuer pinned for this client",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", env.spire().issuer() + "/").mint())));
        c.add(refused("iss in upper case", "bad_issuer", "does not match the issuer pinned for this client",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", env.spire().issuer().toUpperCase()).mint())));
        c.add(refused("iss with https instead of http", "bad_issuer", "does not match the issuer pinned for this client",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", env.spire().issuer().replaceFirst("^http:", "https:")).mint())));
        c.add(refused("iss absent while pinned", "bad_issuer", "has no 'iss' claim",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", null).mint())));
        c.add(refused("iss of another trust domain's SPIRE", "bad_issuer", "does not match the issuer pinned for this client",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", other.issuer()).mint())));

        // --- SPIFFE ID syntax (signed with the real key: only the ID is wrong)
        c.add(badId("SPIFFE ID with upper-case trust domain", "spiffe://EXAMPLE.org/ns/apps/sa/payments", "invalid trust domain"));
        c.add(badId("SPIFFE ID with a port", "spiffe://example.org:443/ns/apps/sa/payments", "invalid trust domain"));
        c.add(badId("SPIFFE ID with userinfo", "spiffe://admin@example.org/ns/apps/sa/payments", "invalid trust domain"));
        c.add(badId("SPIFFE ID with percent-encoding", "spiffe://example.org/ns/apps/sa/pay%6Dents", "'%' is not allowed"));
        c.add(badId("SPIFFE ID with a '.' segment", "spiffe://example.org/ns/apps/./sa/payments", "has a '.' path segment"));
        c.add(badId("SPIFFE ID with a '..' segment", "spiffe://example.org/ns/apps/sa/x/../payments", "has a '..' path segment"));
        c.add(badId("SPIFFE ID with an empty segment", "spiffe://example.org/ns//apps/sa/payments", "has an empty path segment"));
        c.add(badId("SPIFFE ID with a trailing '/'", PAYMENTS + "/", "ends with '/'"));
        c.add(badId("SPIFFE ID with a query", PAYMENTS + "?admin=true", "'?' is not allowed"));
        c.add(badId("SPIFFE ID with a fragment", PAYMENTS + "#admin", "'#' is not allowed"));
        c.add(badId("SPIFFE ID over 2048 bytes", "spiffe://example.org/ns/agents/" + "a".repeat(2048), "longer than 2048 bytes"));
        c.add(badId("SPIFFE ID with upper-case scheme", "SPIFFE://example.org/ns/apps/sa/payments", "must start with spiffe://"));
        c.add(badId("trust domain ID without a path", "spiffe://example.org", "has no path"));
        c.add(refused("sub as a JSON object", "bad_spiffe_id", "'sub' claim is not a string",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("sub", Map.of("sub", PAYMENTS)).mint())));

        // --- '/*' pattern of ai-agents (spiffe://example.org/ns/agents/*)
        c.add(refused("pattern abuse: sibling with the same prefix characters (agentsX)", "unknown_client",
                "accepts SPIFFE ID 'spiffe://example.org/ns/agentsX/y'",
                () -> token(env.svid("spiffe://example.org/ns/agentsX/y"))));
        c.add(refused("pattern abuse: the pattern's own base ID", "unknown_client",
                "accepts SPIFFE ID 'spiffe://example.org/ns/agents'",
                () -> token(env.svid("spiffe://example.org/ns/agents"))));
        c.add(refused("pattern abuse: sibling naming ai-agents by client_id", "spiffe_id_mismatch",
                "is not accepted by client 'ai-agents'",
                () -> env.token(JWT_SPIFFE, env.svid("spiffe://example.org/ns/agentsX/y"), "ai-agents")));

        // --- another trust domain
        c.add(refused("other.org SVID signed by other.org's real key", "unknown_client",
                "accepts SPIFFE ID '" + OTHER_TD_PAYMENTS + "'",
                () -> token(other.svid(OTHER_TD_PAYMENTS).audience(env.audience()).mint())));
        c.add(refused("other.org SVID naming payments-api by client_id", "spiffe_id_mismatch",
                "is not accepted by client 'payments-api'",
                () -> env.token(JWT_SPIFFE, other.svid(OTHER_TD_PAYMENTS).audience(env.audience()).mint(), "payments-api")));
        c.add(refused("example.org sub and iss, signed by other.org's key (its own kid)", "unknown_kid", "is not published at",
                () -> token(other.svid(PAYMENTS).unchecked().audience(env.audience()).claim("iss", env.spire().issuer()).mint())));
        c.add(refused("example.org sub, signed by other.org's key under example.org's kid", "bad_signature", "signature is invalid",
                () -> token(Forge.sign(other.signingKey(), "ES256", Forge.header("ES256", kid()), Forge.claims(INVENTORY, env.audience(), null)))));
        c.add(refused("example.org sub, signed by other.org's key without kid", "bad_signature", "signature is invalid",
                () -> token(Forge.sign(other.signingKey(), "ES256", "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", Forge.claims(AGENT, env.audience(), null)))));

        // --- client resolution
        c.add(refused("client_id naming a client bound to another SPIFFE ID", "spiffe_id_mismatch", "is not accepted by client 'reporting-eu'",
                () -> env.token(JWT_SPIFFE, env.svid(PAYMENTS), "reporting-eu")));
        c.add(refused("client_id naming the client whose clientId is another SPIFFE ID", "spiffe_id_mismatch",
                "is not accepted by client '" + INVENTORY + "'", () -> env.token(JWT_SPIFFE, env.svid(PAYMENTS), INVENTORY)));
        c.add(refused("client_id of no client", "unknown_client", "is not a client of realm 'svid'",
                () -> env.token(JWT_SPIFFE, env.svid(PAYMENTS), "atk-no-such-client")));
        c.add(refused("disabled client", "client_disabled", "client 'atk-disabled' is disabled", () -> token(env.svid(DISABLED))));
        c.add(refused("disabled client named by client_id", "client_disabled", "client 'atk-disabled' is disabled",
                () -> env.token(JWT_BEARER, env.svid(DISABLED), "atk-disabled")));
        // client-svid-jwt runs first in the shipped flow, so it answers for an SVID sent with the
        // client_id of a client-secret client, naming the mismatch.
        c.add(refused("client_id of a client-secret client (legacy-service) with an SVID", "wrong_auth_method",
                "client 'legacy-service' does not use client-svid-jwt authentication",
                () -> env.token(JWT_SPIFFE, env.svid(PAYMENTS), "legacy-service")));
        c.add(refused("client_id of a client-secret client (legacy-service) with a jwt-bearer SVID", "wrong_auth_method",
                "client 'legacy-service' does not use client-svid-jwt authentication",
                () -> env.token(JWT_BEARER, env.svid(PAYMENTS), "legacy-service")));

        // --- replay (atk-single-use has svid.single.use=true)
        c.add(replay("replay of a single-use SVID", "replayed", "already used", () -> twice(freshSingleUse(), t -> t)));
        c.add(replay("replay of a single-use SVID with a jti", "replayed", "already used",
                () -> twice(env.spire().svid(SINGLE_USE).audience(env.audience()).withJti().mint(), t -> t)));
        c.add(replay("replay with the signature's spare base64url bits changed", "malformed", "not canonically base64url-encoded",
                () -> twice(freshSingleUse(), AttackCatalogIT::nonCanonicalTwin)));
        c.add(replay("replay with the ECDSA signature negated (r, n - s)", "replayed", "already used",
                () -> twice(freshSingleUse(), AttackCatalogIT::negatedTwin)));

        // --- JSON
        c.add(refused("duplicated sub in the payload, signed with the real key", "malformed", "duplicate member name", () -> {
            long now = Instant.now().getEpochSecond();
            return token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()),
                    "{\"aud\":[\"" + env.audience() + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now + ",\"iss\":\"" + env.spire().issuer()
                            + "\",\"sub\":\"spiffe://example.org/ns/nobody\",\"sub\":\"" + PAYMENTS + "\"}"));
        }));
        c.add(refused("duplicated alg in the header", "malformed", "duplicate member name",
                () -> token(withHeader(env.svid(PAYMENTS), "{\"alg\":\"none\",\"alg\":\"ES256\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}"))));
        c.add(refused("nested alg object in the header", "bad_alg", "has no 'alg'",
                () -> token(withHeader(env.svid(PAYMENTS), "{\"alg\":{\"alg\":\"ES256\"},\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}"))));
        c.add(refused("claim nested 200 deep", "malformed", "not valid JSON", () -> {
            long now = Instant.now().getEpochSecond();
            return token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()),
                    "{\"aud\":[\"" + env.audience() + "\"],\"exp\":" + (now + 300) + ",\"iss\":\"" + env.spire().issuer() + "\",\"sub\":\"" + PAYMENTS
                            + "\",\"x\":" + "[".repeat(200) + "]".repeat(200) + "}"));
        }));
        c.add(refused("non-JSON payload", "malformed", "not valid JSON",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()), "sub=" + PAYMENTS))));
        c.add(refused("payload a JSON array", "malformed", "not a JSON object",
                () -> token(Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()), "[" + claims(PAYMENTS) + "]"))));
        c.add(refused("not base64url", "malformed", "not base64url-encoded", () -> token("eyJ+/=.eyJ+/=.c2ln")));

        // --- size
        c.add(refused("assertion of 20 KiB", "malformed", "at most 16384 are accepted",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("pad", "x".repeat(15 * 1024)).mint())));
        c.add(beforeSvidAuth("assertion of 1 MiB", 413, "HTTP 413 Request Entity Too Large", "",
                () -> token(env.spire().svid(PAYMENTS).audience(env.audience()).claim("pad", "x".repeat(786 * 1024)).mint())));
        c.add(beforeSvidAuth("HTTP header of 64 KiB (HTTP/1.1)", 431, null, "",
                () -> raw(form(Map.of("grant_type", "client_credentials", "client_assertion_type", JWT_SPIFFE,
                        "client_assertion", "x.y.z")), Map.of("X-Padding", "p".repeat(64 * 1024)))));
        return c;
    }

    private Attack badId(String name, String spiffeId, String fragment) {
        return refused(name, "bad_spiffe_id", fragment,
                () -> token(env.spire().svid(spiffeId).unchecked().audience(env.audience()).mint()));
    }

    // ------------------------------------------------------------------------------ the tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void attackIsRefused(Attack attack) {
        env.admin().clearEvents(SvidRealm.REALM);

        FormPost.Answer answer = attack.send().get();
        List<JsonNode> errors = env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR", 10);
        System.out.println("[attack] " + attack.name() + " -> " + answer.status + " " + answer.error() + " / "
                + (errors.isEmpty() ? "no event" : errors.size() + " event(s), first " + errors.get(0).path("error").asText()
                + " reason=" + errors.get(0).path("details").path("reason").asText("-"))
                + " / " + abbreviate(answer.description()));

        assertThat(answer.status).as(answer.toString()).isEqualTo(attack.status());
        assertThat(answer.body).as("no token").doesNotContain("access_token");
        if (attack.error() != null) {
            assertThat(answer.error()).as(answer.toString()).isEqualTo(attack.error());
        }
        if (attack.reason() != null) {
            // svid-auth judged it: the caller reads the failed check and its code, the event the detail
            Rejections.assertTerse(answer, attack.reason());
        }
        if (attack.fragment() != null && !attack.fragment().isEmpty()) {
            String said = attack.reason() != null && !errors.isEmpty() ? Rejections.detail(errors.get(0)) : answer.description();
            assertThat(said).as(answer + " / " + errors).contains(attack.fragment());
        }
        assertThat(env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN", 10)).as("successful client logins")
                .hasSize(attack.oneSuccessFirst() ? 1 : 0);
        if (attack.reason() != null) {
            assertThat(errors).as("CLIENT_LOGIN_ERROR events").hasSize(1);
            assertThat(errors.get(0).path("details").path("reason").asText()).as(errors.get(0).toString()).isEqualTo(attack.reason());
            assertThat(errors.get(0).path("error").asText()).isNotEmpty();
        } else {
            errors.forEach(e -> assertThat(e.path("details").has("reason")).as("svid-auth did not judge this: " + e).isFalse());
        }
    }

    @Test
    void catalogIsLargeAndNamesAreUnique() {
        List<Attack> all = catalog();
        Set<String> names = new HashSet<>();
        all.forEach(a -> assertThat(names.add(a.name())).as("duplicate case name " + a.name()).isTrue());
        assertThat(all.size()).isGreaterThanOrEqualTo(MINIMUM_CASES);
        System.out.println("[attack] catalog cases: " + all.size());
    }

    /**
     * Where Keycloak's own form size limit lies: assertions up to it reach svid-auth (401, too
     * long for an SVID above 16 KiB), longer ones are refused by the server first. Either way a
     * 4xx and no token; the limit found is printed.
     */
    @Test
    void oversizedFormsAreRefusedWithA4xxOnEitherSideOfKeycloaksFormLimit() {
        int lo = 16 * 1024 + 1;
        int hi = 1024 * 1024;
        assertThat(probe(lo)).isEqualTo(401);
        assertThat(probe(hi)).isEqualTo(413);
        while (hi - lo > 256) {
            int mid = (lo + hi) >>> 1;
            if (probe(mid) == 413) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        System.out.println("[attack] client_assertion of " + lo + " characters: 401 from svid-auth; of " + hi
                + " characters: 413 from Keycloak");
    }

    private int probe(int length) {
        FormPost.Answer a = raw(form(Map.of("grant_type", "client_credentials", "client_assertion_type", JWT_SPIFFE,
                "client_assertion", "A".repeat(length))), Map.of());
        assertThat(a.status).as(length + " characters: " + abbreviate(a.body)).isIn(401, 413);
        assertThat(a.body).doesNotContain("access_token");
        if (a.status == 401) {
            assertThat(a.error()).isEqualTo("invalid_client");
            assertThat(a.description()).endsWith("(malformed)");
        }
        return a.status;
    }

    // ------------------------------------------------------------------------------ attack helpers

    private FormPost.Answer token(String assertion) {
        return env.token(assertion);
    }

    private String kid() {
        return env.spire().signingKey().getKeyID();
    }

    private String claims(String sub) {
        return Forge.claims(sub, env.audience(), env.spire().issuer());
    }

    private FormPost.Answer hs256WithPublicKey() {
        try {
            byte[] spki = env.spire().signingKey().toECKey().toECPublicKey().getEncoded();
            String input = b64(Forge.header("HS256", kid())) + "." + b64(claims(PAYMENTS));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(spki, "HmacSHA256"));
            return token(input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII))));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String attackerSigned(String header) {
        try {
            ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("evil").generate();
            return Forge.sign(attacker, "ES256", header, claims(PAYMENTS));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private FormPost.Answer embeddedJwk() {
        try {
            ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(kid()).generate();
            String header = "{\"alg\":\"ES256\",\"jwk\":" + attacker.toPublicJWK().toJSONString() + ",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}";
            return token(Forge.sign(attacker, "ES256", header, claims(PAYMENTS)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private FormPost.Answer unknownKid() {
        try {
            ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("u" + "n".repeat(31)).generate();
            return token(Forge.sign(attacker, "ES256", Forge.header("ES256", attacker.getKeyID()), claims(PAYMENTS)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private FormPost.Answer anotherKeySameKid() {
        try {
            ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(kid()).generate();
            return token(Forge.sign(attacker, "ES256", Forge.header("ES256", kid()), claims(PAYMENTS)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private FormPost.Answer payloadEditedAfterSigning() {
        String[] p = env.svid(PAYMENTS).split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8);
        JsonNode json = SvidRealm.payload(String.join(".", p));
        long exp = json.path("exp").asLong();
        String edited = payload.replace("\"exp\":" + exp, "\"exp\":" + (exp + 3000));
        assertThat(edited).isNotEqualTo(payload);
        return token(p[0] + "." + b64(edited) + "." + p[2]);
    }

    /**
     * A single-use SVID without jti whose claims no earlier case used: two SVIDs minted in the
     * same second with the same claims are the same SVID to replay detection (it keys on the
     * signed content), so each case adds a claim of its own, as a credential composer might.
     */
    private String freshSingleUse() {
        return env.spire().svid(SINGLE_USE).audience(env.audience()).claim("seq", SEQ.incrementAndGet()).mint();
    }

    private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

    /** Presents an SVID to the single-use client, then its {@code twin}; answers the second. */
    private FormPost.Answer twice(String svid, java.util.function.UnaryOperator<String> twin) {
        FormPost.Answer first = env.token(svid);
        assertThat(first.status).as("first use: " + first).isEqualTo(200);
        String second = twin.apply(svid);
        return env.token(second);
    }

    static String withHeader(String token, String headerJson) {
        return b64(headerJson) + token.substring(token.indexOf('.'));
    }

    static String stripSignature(String token) {
        return token.substring(0, token.lastIndexOf('.') + 1);
    }

    static String withSignature(String token, byte[] sig) {
        return stripSignature(token) + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    }

    /** The same signature bytes, spelled with the last character's unused bits set. */
    static String nonCanonicalTwin(String token) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(token.charAt(token.length() - 1));
        return token.substring(0, token.length() - 1) + alphabet.charAt(last | 0x01);
    }

    /** (r, s) -> (r, n - s): the other valid ECDSA signature of the same content. */
    static String negatedTwin(String token) {
        byte[] sig = Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
        byte[] out = Arrays.copyOf(sig, 64);
        byte[] neg = P256_ORDER.subtract(new BigInteger(1, Arrays.copyOfRange(sig, 32, 64))).toByteArray();
        Arrays.fill(out, 32, 64, (byte) 0);
        int len = Math.min(neg.length, 32);
        System.arraycopy(neg, neg.length - len, out, 64 - len, len);
        return withSignature(token, out);
    }

    static String b64(String s) {
        return Forge.b64(s);
    }

    static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String form(Map<String, String> form) {
        StringBuilder b = new StringBuilder();
        form.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(SvidRealm.enc(k)).append('=').append(SvidRealm.enc(v)));
        return b.toString();
    }

    /** POSTs a raw form body with extra HTTP headers to the token endpoint. */
    private FormPost.Answer raw(String body, Map<String, String> headers) {
        HttpRequest.Builder req = HttpRequest.newBuilder(env.tokenEndpoint()).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(req::header);
        try {
            HttpResponse<String> r = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new FormPost.Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("POST failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "-" : s.length() > 140 ? s.substring(0, 140) + "..." : s;
    }
}
