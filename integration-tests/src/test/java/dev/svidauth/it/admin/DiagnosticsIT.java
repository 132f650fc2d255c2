package dev.svidauth.it.admin;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.WitSvid;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static dev.svidauth.it.support.SvidRealm.REPORTING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /admin/realms/{realm}/svid-auth/diagnose} on the real server: the same verdict as the
 * token endpoint for every reason code a request can produce, the steps that ran, no token, no
 * event, no single-use consumption, and the admin checks (401, 403, 400, 413); for WIT-SVIDs
 * ({@code "wit"}, {@code "pop"}) likewise, a diagnosed PoP still usable at the token endpoint.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiagnosticsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final String SINGLE_USE = "spiffe://example.org/ns/diag/sa/single-use";
    /** Of a trust domain without an entry: only there may a client name a key source of its own. */
    private static final String DEAD_KEYS = "spiffe://dead-keys.test/ns/diag/sa/dead-keys";
    private static final String DISABLED = "spiffe://example.org/ns/diag/sa/disabled";
    private static final String RSA_ONLY = "spiffe://example.org/ns/diag/sa/rsa-only";
    private static final String SHORT_LIVED = "spiffe://example.org/ns/diag/sa/short-lived";
    private static final String PATTERN = "spiffe://example.org/ns/diag/wild/*";
    private static final String BROKEN = "spiffe://example.org/ns/diag/sa/broken";
    private static final String MIXED = "spiffe://example.org/ns/diag/sa/mixed";

    private static final String VIEWER = "diag-viewer";
    private static final String MANAGER = "diag-manager";
    private static final String NOBODY = "diag-nobody";
    private static final String PASSWORD = "diag-user-password";

    private static final String WIT_CLIENT = "diag-wit";
    private static final String WIT_ID = "spiffe://diag-wit.test/ns/diag/sa/wit";
    private static final String NO_WIT_CLIENT = "diag-nowit";
    private static final String NO_WIT_ID = "spiffe://diag-nowit.test/ns/diag/sa/nowit";

    private final SvidRealm env;
    private SpireEmulator witSpire;
    private SpireEmulator noWitSpire;

    DiagnosticsIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() throws Exception {
        String keys = env.forKeycloak(env.spire().jwksUrl());
        env.createSvidClient("diag-single-use", SINGLE_USE, Map.of("svid.jwks.uri", keys, "svid.single.use", "true"), true);
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        env.createSvidClient("diag-dead-keys", DEAD_KEYS,
                Map.of("svid.jwks.uri", env.forKeycloak(URI.create("http://127.0.0.1:" + deadPort + "/keys"))), true);
        env.createSvidClient("diag-disabled", DISABLED, Map.of("svid.jwks.uri", keys), false);
        env.createSvidClient("diag-rsa-only", RSA_ONLY, Map.of("svid.jwks.uri", keys, "svid.algorithms", "RS256"), true);
        env.createSvidClient("diag-short-lived", SHORT_LIVED, Map.of("svid.jwks.uri", keys, "svid.max.lifetime", "300"), true);
        env.createSvidClient("diag-wild", PATTERN, Map.of("svid.jwks.uri", keys), true);
        // Stored without the save-time validation (partial import), as a client saved by an older version lands.
        partialImport("diag-broken", Map.of("svid.spiffe.id", BROKEN, "svid.jwks.uri", keys, "svid.max.lifetime", "forever"));
        partialImport("diag-mixed", Map.of("svid.spiffe.id", MIXED + "##spiffe://other.org/ns/diag/sa/mixed", "svid.jwks.uri", keys));
        env.createUser(VIEWER, PASSWORD, "view-clients");
        env.createUser(MANAGER, PASSWORD, "manage-clients");
        env.createUser(NOBODY, PASSWORD, null);
        witSpire = SpireEmulator.builder().trustDomain("diag-wit.test").witSvids(true).x509Authority(true).start();
        noWitSpire = SpireEmulator.builder().trustDomain("diag-nowit.test").x509Authority(true).start();
        createWitClient(WIT_CLIENT, WIT_ID, env.forKeycloak(witSpire.bundleUrl()));
        createWitClient(NO_WIT_CLIENT, NO_WIT_ID, env.forKeycloak(noWitSpire.bundleUrl()));
    }

    @AfterAll
    void stopEmulators() {
        for (SpireEmulator s : new SpireEmulator[]{witSpire, noWitSpire}) {
            if (s != null) {
                s.close();
            }
        }
    }

    // ---- verdicts ------------------------------------------------------------------------------

    @Test
    void anSvidTheTokenEndpointAcceptsIsAcceptedWithEveryStepAndNothingIssuedOrRecorded() {
        String loginBefore = newest("CLIENT_LOGIN");
        String errorBefore = newest("CLIENT_LOGIN_ERROR");
        String svid = env.svid(PAYMENTS);

        JsonNode report = diagnose(svid, null);

        assertThat(report.path("accepted").asBoolean()).as(report.toString()).isTrue();
        assertThat(report.path("reason").isNull()).isTrue();
        assertThat(report.path("client_id").asText()).isEqualTo("payments-api");
        assertThat(report.has("access_token")).isFalse();
        assertThat(steps(report)).containsExactly("parse:true", "claims:true", "client:true", "issuer:true", "audience:true",
                "time:true", "signature:true", "replay:true");
        assertThat(report.path("candidates").get(0).path("client_id").asText()).isEqualTo("payments-api");
        assertThat(report.path("candidates").get(0).path("pattern").asText()).isEqualTo(PAYMENTS);
        // payments-api discovers its keys from the pinned issuer: the report names the JWKS it found
        JsonNode keySource = report.path("key_source");
        assertThat(keySource.path("url").asText()).isEqualTo(env.spire().jwksUrl().toString());
        assertThat(keySource.path("kids").toString()).contains(env.spire().signingKey().getKeyID());
        assertThat(Instant.parse(keySource.path("fetched_at").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(Instant.parse(keySource.path("next_refresh").asText())).isAfter(Instant.parse(keySource.path("fetched_at").asText()));
        assertThat(report.path("svid").path("header").path("kid").asText()).isEqualTo(env.spire().signingKey().getKeyID());
        assertThat(report.path("svid").path("claims").path("sub").asText()).isEqualTo(PAYMENTS);
        assertThat(report.toString()).doesNotContain(svid.substring(svid.lastIndexOf('.') + 1));

        assertThat(newest("CLIENT_LOGIN")).as("no CLIENT_LOGIN event").isEqualTo(loginBefore);
        assertThat(newest("CLIENT_LOGIN_ERROR")).as("no CLIENT_LOGIN_ERROR event").isEqualTo(errorBefore);
        assertThat(env.token(svid).status).as("the same SVID at the token endpoint").isEqualTo(200);
        assertThat(newest("CLIENT_LOGIN")).as("the check above can see events").isNotEqualTo(loginBefore);
    }

    @Test
    void aPatternClientIsNamedWithThePatternThatMatched() {
        JsonNode report = diagnose(env.svid("spiffe://example.org/ns/diag/wild/a/b"), null);

        assertThat(report.path("accepted").asBoolean()).as(report.toString()).isTrue();
        assertThat(report.path("client_id").asText()).isEqualTo("diag-wild");
        assertThat(report.path("candidates").toString()).contains("\"client_id\":\"diag-wild\"").contains("\"pattern\":\"" + PATTERN + "\"");
    }

    @Test
    void singleUseIsOnlyLookedAtNeverConsumed() {
        String svid = env.svid(SINGLE_USE);

        for (int i = 0; i < 2; i++) {
            JsonNode report = diagnose(svid, null);
            assertThat(report.path("accepted").asBoolean()).as(report.toString()).isTrue();
            assertThat(last(report).path("step").asText()).isEqualTo("replay");
            assertThat(last(report).path("detail").asText()).contains("not used before");
        }
        assertThat(env.token(svid).status).as("first use at the token endpoint, after two diagnoses").isEqualTo(200);

        assertVerdict(diagnose(svid, null), "replayed", "replay", "already used");
        assertThat(env.token(svid).status).isEqualTo(401);
    }

    @Test
    void malformed() {
        assertVerdict(diagnose("not-a-jwt", null), "malformed", "parse", "not a compact JWS");
    }

    @Test
    void missingExpIsAClaimsProblem() {
        String svid = Forge.sign(env.spire().signingKey(), "ES256", Forge.header("ES256", kid()),
                "{\"sub\":\"" + PAYMENTS + "\",\"aud\":\"" + env.audience() + "\"}");
        assertVerdict(diagnose(svid, null), "malformed", "claims", "no 'exp' claim");
    }

    @Test
    void badHeader() {
        String header = "{\"alg\":\"ES256\",\"jku\":\"https://evil.example/keys\",\"kid\":\"" + kid() + "\",\"typ\":\"JWT\"}";
        String svid = Forge.sign(env.spire().signingKey(), "ES256", header, Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        JsonNode report = diagnose(svid, null);
        assertVerdict(report, "bad_header", "parse", "SVID header carries 'jku'");
        assertThat(report.path("svid").path("header").path("jku").asText()).isEqualTo("https://evil.example/keys");
    }

    @Test
    void algNone() {
        String svid = Forge.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + Forge.b64(Forge.claims(PAYMENTS, env.audience(), env.spire().issuer())) + ".";
        assertVerdict(diagnose(svid, null), "bad_alg", "parse", "'none' is never accepted");
    }

    @Test
    void algorithmOutsideTheClientsAllowlist() {
        assertVerdict(diagnose(env.svid(RSA_ONLY), null), "bad_alg", "signature", "not allowed for this client");
    }

    @Test
    void badSpiffeId() {
        String svid = env.spire().svid("spiffe://Example.org/ns/apps/sa/payments").unchecked().audience(env.audience()).mint();
        assertVerdict(diagnose(svid, null), "bad_spiffe_id", "claims", "not a valid SPIFFE ID");
    }

    @Test
    void unknownClient() {
        JsonNode report = diagnose(env.svid("spiffe://example.org/ns/nobody/sa/x"), null);
        assertVerdict(report, "unknown_client", "client", "accepts SPIFFE ID 'spiffe://example.org/ns/nobody/sa/x'");
        assertThat(report.path("candidates")).isEmpty();
        assertThat(report.path("key_source").isNull()).isTrue();
    }

    @Test
    void ambiguousClientListsBothCandidates() {
        JsonNode report = diagnose(env.svid(REPORTING), null);
        assertVerdict(report, "ambiguous_client", "client", "send client_id to choose one");
        List<String> names = new ArrayList<>();
        report.path("candidates").forEach(c -> names.add(c.path("client_id").asText() + " " + c.path("pattern").asText()));
        assertThat(names).containsExactlyInAnyOrder("reporting-eu " + REPORTING, "reporting-us " + REPORTING);
    }

    @Test
    void clientIdChoosesAmongCandidates() {
        JsonNode report = diagnose(env.svid(REPORTING), "reporting-us");
        assertThat(report.path("accepted").asBoolean()).as(report.toString()).isTrue();
        assertThat(report.path("client_id").asText()).isEqualTo("reporting-us");
    }

    @Test
    void spiffeIdMismatch() {
        assertVerdict(diagnose(env.svid(PAYMENTS), "reporting-eu"), "spiffe_id_mismatch", "client", "is not accepted by client 'reporting-eu'");
    }

    @Test
    void wrongAuthMethod() {
        assertVerdict(diagnose(env.svid(PAYMENTS), "legacy-service"), "wrong_auth_method", "client", "does not use client-svid-jwt");
    }

    @Test
    void clientDisabled() {
        assertVerdict(diagnose(env.svid(DISABLED), null), "client_disabled", "client", "is disabled");
    }

    @Test
    void clientMisconfigured() {
        assertVerdict(diagnose(env.svid(BROKEN), null), "client_misconfigured", "client", "svid.max.lifetime");
    }

    @Test
    void trustDomainMismatch() {
        assertVerdict(diagnose(env.svid(MIXED), null), "trust_domain_mismatch", "client", "2 trust domains");
    }

    @Test
    void badIssuer() {
        String svid = env.spire().svid(PAYMENTS).audience(env.audience()).claim("iss", env.spire().issuer() + "/").mint();
        assertVerdict(diagnose(svid, null), "bad_issuer", "issuer", "does not match the issuer pinned");
    }

    @Test
    void badAudienceJudgedAsForTheTokenEndpoint() {
        String svid = env.spire().mint(PAYMENTS, List.of("https://other-server.example/token"));
        JsonNode report = diagnose(svid, null);
        assertVerdict(report, "bad_audience", "audience", "'https://other-server.example/token' is not accepted");
        assertThat(steps(report)).containsExactly("parse:true", "claims:true", "client:true", "issuer:true", "audience:false");

        // The introspection endpoint's URL is accepted only by introspection itself, not at the token endpoint.
        String introspect = env.audience() + "/protocol/openid-connect/token/introspect";
        String forIntrospection = env.spire().mint(PAYMENTS, List.of(introspect));
        assertVerdict(diagnose(forIntrospection, null), "bad_audience", "audience", "/protocol/openid-connect/token");
        Rejections.assertTerse(env.token(forIntrospection), "bad_audience");
        assertThat(Rejections.detail(env.lastLoginError())).contains("is not accepted here");
        // the realm issuer alone by default: the token endpoint URL too is refused (svid.audience.endpoints is an opt-in)
        JsonNode forTokenEndpoint = diagnose(env.spire().mint(PAYMENTS, List.of(env.tokenEndpoint().toString())), null);
        assertThat(forTokenEndpoint.path("accepted").asBoolean()).as(forTokenEndpoint.toString()).isFalse();
        assertThat(forTokenEndpoint.path("reason").asText()).isEqualTo("bad_audience");
        assertThat(diagnose(env.svid(PAYMENTS), null).path("accepted").asBoolean()).isTrue();
    }

    @Test
    void expired() {
        Instant iat = Instant.now().minus(Duration.ofMinutes(10));
        String svid = env.spire().svid(PAYMENTS).audience(env.audience()).issuedAt(iat).expiresAt(iat.plusSeconds(300)).mint();
        assertVerdict(diagnose(svid, null), "expired", "time", "SVID expired at");
    }

    @Test
    void notYetValid() {
        String svid = env.spire().svid(PAYMENTS).audience(env.audience())
                .claim("nbf", Instant.now().plusSeconds(600).getEpochSecond()).mint();
        assertVerdict(diagnose(svid, null), "not_yet_valid", "time", "is not valid before");
    }

    @Test
    void lifetimeTooLong() {
        String svid = env.spire().svid(SHORT_LIVED).audience(env.audience()).ttl(Duration.ofMinutes(30)).mint();
        assertVerdict(diagnose(svid, null), "lifetime_too_long", "time", "exceeds the 300 s allowed");
    }

    @Test
    void unknownKid() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k" + "d".repeat(31)).generate();
        String svid = Forge.sign(other, "ES256", Forge.header("ES256", other.getKeyID()),
                Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        JsonNode report = diagnose(svid, null);
        assertVerdict(report, "unknown_kid", "signature", "is not published at");
        assertThat(report.path("key_source").path("kids").toString()).contains(kid()).doesNotContain(other.getKeyID());
    }

    @Test
    void badSignature() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID(kid()).generate();
        String svid = Forge.sign(other, "ES256", Forge.header("ES256", kid()), Forge.claims(PAYMENTS, env.audience(), env.spire().issuer()));
        assertVerdict(diagnose(svid, null), "bad_signature", "signature", "signature is invalid");
    }

    @Test
    void keySourceUnavailable() {
        JsonNode report = diagnose(env.spire().svid(DEAD_KEYS).unchecked().audience(env.audience()).mint(), null);
        assertVerdict(report, "key_source_unavailable", "signature", "is unavailable");
        assertThat(report.path("key_source").path("kids")).isEmpty();
        assertThat(report.path("key_source").path("fetched_at").isNull()).isTrue();
        assertThat(report.path("key_source").path("last_error").asText()).isNotEmpty();
    }

    // ---- WIT-SVIDs ---------------------------------------------------------------------------

    @Test
    void aWitWithItsPopIsAcceptedAndThePopStaysUsable() {
        String loginBefore = newest("CLIENT_LOGIN");
        String errorBefore = newest("CLIENT_LOGIN_ERROR");
        WitSvid wit = witSpire.mintWitSvid(WIT_ID);
        String pop = wit.pop(env.audience());

        for (int i = 0; i < 2; i++) {
            JsonNode report = diagnoseWit(wit.token(), pop, null);
            assertThat(report.path("accepted").asBoolean()).as(report.toString()).isTrue();
            assertThat(report.path("reason").isNull()).isTrue();
            assertThat(report.path("client_id").asText()).isEqualTo(WIT_CLIENT);
            assertThat(steps(report)).containsExactly("parse:true", "client:true", "time:true", "signature:true", "pop:true",
                    "single_use:true");
            assertThat(last(report).path("detail").asText()).contains("not recorded");
            assertThat(report.path("candidates").get(0).path("client_id").asText()).isEqualTo(WIT_CLIENT);
            assertThat(report.path("key_source").path("url").asText()).isEqualTo(env.forKeycloak(witSpire.bundleUrl()));
            assertThat(report.path("key_source").path("kids").toString()).contains(witSpire.witSigningKey().getKeyID())
                    .doesNotContain(witSpire.signingKey().getKeyID());
            assertThat(report.path("svid").path("header").path("typ").asText()).isEqualTo("wit+jwt");
            assertThat(report.path("pop").path("claims").path("aud").asText()).isEqualTo(env.audience());
            assertThat(report.toString()).doesNotContain(signature(wit.token())).doesNotContain(signature(pop));
        }
        assertThat(newest("CLIENT_LOGIN")).as("no CLIENT_LOGIN event").isEqualTo(loginBefore);
        assertThat(newest("CLIENT_LOGIN_ERROR")).as("no CLIENT_LOGIN_ERROR event").isEqualTo(errorBefore);

        FormPost.Answer answer = presentWit(wit.token(), pop);
        assertThat(answer.status).as("the diagnosed PoP at the token endpoint: " + answer).isEqualTo(200);
        assertThat(newest("CLIENT_LOGIN")).as("the check above can see events").isNotEqualTo(loginBefore);

        // the same single-use entry the token endpoint recorded is what the diagnosis looks at
        assertVerdict(diagnoseWit(wit.token(), pop, null), "pop_replayed", "single_use", "already used");
        assertThat(presentWit(wit.token(), pop).status).isEqualTo(401);
    }

    @Test
    void aWitWithoutPopIsCheckedAndThenMissingPop() {
        WitSvid wit = witSpire.mintWitSvid(WIT_ID);
        JsonNode report = diagnoseWit(wit.token(), null, null);
        assertVerdict(report, "missing_pop", "pop", "passes every check");
        assertThat(steps(report)).containsExactly("parse:true", "client:true", "time:true", "signature:true", "pop:false");

        WitSvid expired = witSpire.mintWitSvid(WIT_ID, Duration.ofHours(1), Map.of("exp", Instant.now().minusSeconds(120).getEpochSecond()));
        assertVerdict(diagnoseWit(expired.token(), null, null), "expired", "time", "WIT-SVID expired at");
    }

    @Test
    void aWitOfATrustDomainWithoutWitKeysIsNoWitKeys() {
        WitSvid genuine = witSpire.mintWitSvid(WIT_ID);
        String forged = forgeWit(genuine, c -> c.put("sub", NO_WIT_ID), noWitSpire.signingKey());
        JsonNode report = diagnoseWit(forged, genuine.pop(env.audience()), null);
        assertVerdict(report, "no_wit_keys", "signature", "publishes no WIT-SVID keys");
        assertThat(report.path("client_id").asText()).isEqualTo(NO_WIT_CLIENT);
        assertThat(report.path("key_source").path("kids")).isEmpty();
    }

    @Test
    void aWitSignedByAJwtSvidKeyIsUnknownKid() {
        WitSvid genuine = witSpire.mintWitSvid(WIT_ID);
        String forged = forgeWit(genuine, c -> { }, witSpire.signingKey());
        assertVerdict(diagnoseWit(forged, genuine.pop(env.audience()), null), "unknown_kid", "signature",
                "is not among the wit-svid keys");
    }

    @Test
    void aBadPopIsBadPopAtThePopStep() throws Exception {
        WitSvid wit = witSpire.mintWitSvid(WIT_ID);
        ECKey other = new ECKeyGenerator(Curve.P_256).generate();
        JsonNode report = diagnoseWit(wit.token(), wit.pop(env.audience(), Map.of(), other, JWSAlgorithm.ES256, Map.of()), null);
        assertVerdict(report, "bad_pop", "pop", "does not verify with the WIT's cnf key");
        assertThat(steps(report)).containsExactly("parse:true", "client:true", "time:true", "signature:true", "pop:false");
        assertVerdict(diagnoseWit(wit.token(), wit.pop(env.tokenEndpoint().toString()), null), "bad_pop", "pop",
                "is not this realm's issuer URL");
    }

    @Test
    void aJwtSvidIsNeverDiagnosedAsAWitNorAWitAsAJwtSvid() {
        assertVerdict(diagnoseWit(witSpire.svid(WIT_ID).audience(env.audience()).mint(), null, null), "bad_header", "parse",
                "'typ' must be 'wit+jwt'");
        assertVerdict(diagnose(witSpire.mintWitSvid(WIT_ID).token(), null), "bad_header", "parse", "'typ' must be JWT or JOSE");
    }

    @Test
    void aWitNamingAClientOfAnotherAuthenticatorIsWrongAuthMethod() {
        WitSvid wit = witSpire.mintWitSvid(WIT_ID);
        JsonNode report = diagnoseWit(wit.token(), wit.pop(env.audience()), "payments-api");
        assertVerdict(report, "wrong_auth_method", "client", "does not use client-svid-wit");
        assertThat(report.path("key_source").isNull()).isTrue();
    }

    @Test
    void aWitDiagnosisNeedsViewClientsToo() {
        WitSvid wit = witSpire.mintWitSvid(WIT_ID);
        HttpResponse<String> r = send(userToken(NOBODY), witBody(wit.token(), wit.pop(env.audience()), null));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(r.body()).doesNotContain("accepted");
    }

    // ---- the request and who may send it ---------------------------------------------------

    @Test
    void withoutATokenIs401() {
        assertThat(send(null, "{\"assertion\":\"x\"}").statusCode()).isEqualTo(401);
    }

    @Test
    void aUserWithoutViewClientsIs403() {
        HttpResponse<String> r = send(userToken(NOBODY), body(env.svid(PAYMENTS), null));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        assertThat(r.body()).doesNotContain("accepted");
    }

    @Test
    void aUserWithViewClientsOrManageClientsMayDiagnose() throws IOException {
        for (String user : List.of(VIEWER, MANAGER)) {
            HttpResponse<String> r = send(userToken(user), body(env.svid(PAYMENTS), null));
            assertThat(r.statusCode()).as(user + ": " + r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("accepted").asBoolean()).isTrue();
        }
    }

    @Test
    void malformedJsonIs400() throws IOException {
        for (String bad : List.of("{\"assertion\":", "[]", "\"x\"", "{\"assertion\":\"a\"} trailing",
                "{\"assertion\":\"a\",\"assertion\":\"b\"}", "{\"assertion\":1}", "{}", "{\"assertion\":\"a\",\"client_id\":7}",
                "{\"assertion\":\"a\",\"extra\":true}", "")) {
            HttpResponse<String> r = send(env.admin().accessToken(), bad);
            assertThat(r.statusCode()).as(bad + " -> " + r.body()).isEqualTo(400);
            JsonNode error = JSON.readTree(r.body());
            assertThat(error.path("error").asText()).isEqualTo("invalid_request");
            assertThat(error.path("error_description").asText()).isNotEmpty();
        }
    }

    @Test
    void anOversizeBodyIs413() throws IOException {
        String big = "{\"assertion\":\"" + "a".repeat(64 * 1024) + "\"}";
        HttpResponse<String> r = send(env.admin().accessToken(), big);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(JSON.readTree(r.body()).path("error_description").asText()).contains("larger than");
    }

    @Test
    void anOversizeAssertionWithinTheBodyLimitIsMalformed() {
        assertVerdict(diagnose("a".repeat(20_000), null), "malformed", "parse", "at most 16384 are accepted");
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The newest event of a type, as JSON text ("" if none). */
    private String newest(String type) {
        List<JsonNode> events = env.admin().events(REALM, type, 1);
        return events.isEmpty() ? "" : events.get(0).toString();
    }

    private String kid() {
        return env.spire().signingKey().getKeyID();
    }

    private static void assertVerdict(JsonNode report, String reason, String failedStep, String description) {
        assertThat(report.path("accepted").asBoolean()).as(report.toString()).isFalse();
        assertThat(report.path("reason").asText()).as(report.toString()).isEqualTo(reason);
        assertThat(report.path("description").asText()).contains(description);
        JsonNode last = last(report);
        assertThat(last.path("step").asText()).as(report.toString()).isEqualTo(failedStep);
        assertThat(last.path("ok").asBoolean()).isFalse();
        assertThat(last.path("detail").asText()).contains(description);
        report.path("steps").forEach(s -> {
            if (s != last) {
                assertThat(s.path("ok").asBoolean()).as(s.toString()).isTrue();
            }
        });
    }

    private static JsonNode last(JsonNode report) {
        JsonNode steps = report.path("steps");
        return steps.get(steps.size() - 1);
    }

    private static List<String> steps(JsonNode report) {
        List<String> out = new ArrayList<>();
        report.path("steps").forEach(s -> out.add(s.path("step").asText() + ":" + s.path("ok").asBoolean()));
        return out;
    }

    private JsonNode diagnose(String assertion, String clientId) {
        HttpResponse<String> r = send(env.admin().accessToken(), body(assertion, clientId));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private JsonNode diagnoseWit(String wit, String pop, String clientId) {
        HttpResponse<String> r = send(env.admin().accessToken(), witBody(wit, pop, clientId));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private static String witBody(String wit, String pop, String clientId) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("wit", wit);
        if (pop != null) {
            body.put("pop", pop);
        }
        if (clientId != null) {
            body.put("client_id", clientId);
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String signature(String jws) {
        return jws.substring(jws.lastIndexOf('.') + 1);
    }

    /** The WIT-SVID and its PoP at the token endpoint (client_credentials). */
    private FormPost.Answer presentWit(String wit, String pop) {
        HttpRequest request = HttpRequest.newBuilder(env.tokenEndpoint()).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("OAuth-Client-Attestation", wit)
                .header("OAuth-Client-Attestation-PoP", pop)
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(Map.of("grant_type", "client_credentials"))))
                .build();
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new FormPost.Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A WIT-SVID like {@code genuine} with its claims changed, signed by {@code key} (its kid in the header) with ES256. */
    private static String forgeWit(WitSvid genuine, Consumer<ObjectNode> claims, JWK key) {
        try {
            String[] parts = genuine.token().split("\\.");
            ObjectNode h = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
            ObjectNode c = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            h.put("kid", key.getKeyID());
            claims.accept(c);
            return Forge.sign(key, "ES256", h.toString(), c.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client-svid-wit service-account client taking its wit-svid keys from {@code bundle}. */
    private void createWitClient(String clientId, String spiffeId, String bundle) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.spiffe.id", spiffeId);
        attributes.put("svid.bundle.uri", bundle);
        Map<String, Object> rep = SvidRealm.svidClient(clientId, attributes);
        rep.put("clientAuthenticatorType", "client-svid-wit");
        for (JsonNode c : env.admin().get("/" + REALM + "/clients?clientId=" + SvidRealm.enc(clientId))) {
            env.admin().delete("/" + REALM + "/clients/" + c.path("id").asText());
        }
        env.admin().post("/" + REALM + "/clients", rep);
    }

    private static String body(String assertion, String clientId) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("assertion", assertion);
        if (clientId != null) {
            body.put("client_id", clientId);
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(String bearer, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(env.keycloak().baseUrl() + "/admin/realms/" + REALM + "/svid-auth/diagnose"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String userToken(String username) {
        FormPost.Answer answer = env.post(URI.create(env.audience() + "/protocol/openid-connect/token"),
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", username, "password", PASSWORD), null);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        return answer.json.path("access_token").asText();
    }

    private void partialImport(String clientId, Map<String, String> attributes) {
        env.importClient(SvidRealm.svidClient(clientId, attributes));
    }
}
