package dev.svidauth.it.wit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Rejections;
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
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * WIT-SVID client authentication ({@code client-svid-wit}) on the real server: a WIT-SVID in the
 * {@code OAuth-Client-Attestation} header with its proof of possession in
 * {@code OAuth-Client-Attestation-PoP} gets a token; each of the 43 attack cases (a test each) is
 * a 401 {@code invalid_client} with the terse description, its reason code and exactly one
 * {@code CLIENT_LOGIN_ERROR} event.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WitSvidIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CLIENT = "wit-payments";
    private static final String SPIFFE_ID = "spiffe://wit.test/ns/apps/sa/payments";
    private static final String NO_WIT_CLIENT = "wit-nowit";
    private static final String NO_WIT_ID = "spiffe://nowit.test/ns/apps/sa/x";

    private final SvidRealm env;
    private SpireEmulator spire;
    private SpireEmulator foreign;
    private SpireEmulator noWit;

    WitSvidIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("wit.test").witSvids(true).x509Authority(true).start();
        foreign = SpireEmulator.builder().trustDomain("foreign.test").witSvids(true).start();
        noWit = SpireEmulator.builder().trustDomain("nowit.test").x509Authority(true).start();
        create(witClient(CLIENT, SPIFFE_ID, env.forKeycloak(spire.bundleUrl())));
        create(witClient(NO_WIT_CLIENT, NO_WIT_ID, env.forKeycloak(noWit.bundleUrl())));
    }

    @AfterAll
    void stop() {
        for (SpireEmulator s : new SpireEmulator[]{spire, foreign, noWit}) {
            if (s != null) {
                s.close();
            }
        }
    }

    /** Creates the client through the admin API (its save-time validation, its service account), replacing an earlier one. */
    private void create(Map<String, Object> rep) {
        String clientId = (String) rep.get("clientId");
        JsonNode existing = env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId));
        for (JsonNode c : existing) {
            env.admin().delete("/" + SvidRealm.REALM + "/clients/" + c.path("id").asText());
        }
        env.admin().post("/" + SvidRealm.REALM + "/clients", rep);
    }

    /** A client-svid-wit service-account client with the SPIFFE ID mapper of the shipped clients. */
    private static Map<String, Object> witClient(String clientId, String spiffeId, String bundle) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.spiffe.id", spiffeId);
        attributes.put("svid.bundle.uri", bundle);
        Map<String, Object> rep = SvidRealm.svidClient(clientId, attributes);
        rep.put("clientAuthenticatorType", "client-svid-wit");
        Map<String, Object> mapper = new LinkedHashMap<>();
        mapper.put("name", "SPIFFE ID");
        mapper.put("protocol", "openid-connect");
        mapper.put("protocolMapper", "oidc-svid-claim-mapper");
        mapper.put("config", Map.of("svid.claim", "spiffe_id", "claim.name", "spiffe_id", "jsonType.label", "String",
                "access.token.claim", "true", "id.token.claim", "false", "userinfo.token.claim", "false",
                "introspection.token.claim", "true"));
        rep.put("protocolMappers", List.of(mapper));
        return rep;
    }

    // ------------------------------------------------------------------ requests

    /** POST client_credentials to the token endpoint with these headers (null values left out) and form fields. */
    private FormPost.Answer post(Map<String, String> headers, Map<String, String> extraForm) {
        return post(List.copyOf(headers.entrySet()), extraForm);
    }

    /** As {@link #post(Map, Map)}, each entry a header line of its own, so a header may come twice. */
    private FormPost.Answer post(List<Map.Entry<String, String>> headers, Map<String, String> extraForm) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.putAll(extraForm);
        HttpRequest.Builder request = HttpRequest.newBuilder(env.tokenEndpoint()).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(form)));
        for (Map.Entry<String, String> h : headers) {
            if (h.getValue() != null) {
                request.header(h.getKey(), h.getValue()); // header() adds a line, never replaces one
            }
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

    private FormPost.Answer present(String wit, String pop) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("OAuth-Client-Attestation", wit);
        headers.put("OAuth-Client-Attestation-PoP", pop);
        return post(headers, Map.of());
    }

    private String issuer() {
        return env.audience();
    }

    private void clearEvents() {
        env.keycloak().admin().delete("/" + SvidRealm.REALM + "/events");
    }

    /** 401 invalid_client, the terse description, no token, exactly one CLIENT_LOGIN_ERROR with the reason and detail. */
    private void assertRejected(FormPost.Answer answer, String reason, String detail) {
        Rejections.assertTerse(answer, reason);
        assertThat(answer.json.has("access_token")).isFalse();
        List<JsonNode> errors = env.keycloak().admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR");
        assertThat(errors).as("CLIENT_LOGIN_ERROR events").hasSize(1);
        assertThat(errors.get(0).path("details").path("reason").asText()).as(errors.get(0).toString()).isEqualTo(reason);
        assertThat(Rejections.detail(errors.get(0))).as(errors.get(0).toString()).contains(detail);
    }

    private void assertAttack(String reason, String detail, java.util.function.Supplier<FormPost.Answer> attack) {
        clearEvents();
        assertRejected(attack.get(), reason, detail);
    }

    /** A WIT-SVID like {@code genuine} with its header and claims changed, signed by {@code key} with ES256. */
    private static String forge(WitSvid genuine, Consumer<ObjectNode> header, Consumer<ObjectNode> claims,
                                com.nimbusds.jose.jwk.JWK key) {
        try {
            String[] parts = genuine.token().split("\\.");
            ObjectNode h = (ObjectNode) JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[0]));
            ObjectNode c = (ObjectNode) JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[1]));
            h.put("kid", key.getKeyID());
            header.accept(h);
            claims.accept(c);
            return Forge.sign(key, "ES256", h.toString(), c.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ the happy path and discovery

    @Test
    void witSvidWithItsPopGetsAToken() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        FormPost.Answer answer = present(wit.token(), wit.pop(issuer()));

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("azp").asText()).isEqualTo(CLIENT);
        assertThat(token.path("spiffe_id").asText()).isEqualTo(SPIFFE_ID);
    }

    @Test
    void theWitCanBeReusedWithAFreshPop() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertThat(present(wit.token(), wit.pop(issuer())).status).isEqualTo(200);
        assertThat(present(wit.token(), wit.pop(issuer())).status).isEqualTo(200);
    }

    @Test
    void discoveryAdvertisesSpiffeWit() {
        JsonNode discovery = env.getJson(URI.create(issuer() + "/.well-known/openid-configuration"));
        List<String> methods = new java.util.ArrayList<>();
        discovery.path("token_endpoint_auth_methods_supported").forEach(n -> methods.add(n.asText()));
        assertThat(methods).contains("spiffe_wit", "spiffe_jwt", "spiffe_x509");
        assertThat(methods.stream().filter("spiffe_wit"::equals)).hasSize(1);
    }

    /**
     * Registration: {@code spiffe_wit} makes a client-svid-wit client. The realm lets registrants
     * supply no key source (svid-registration), so the trust-domain entry of example.org supplies
     * the bundle; that bundle publishes no wit-svid key, so its WIT-SVIDs are no_wit_keys.
     */
    @Test
    void dynamicRegistrationAcceptsSpiffeWit() throws Exception {
        String token = env.admin().post("/" + SvidRealm.REALM + "/clients-initial-access", Map.of("count", 2, "expiration", 600))
                .path("token").asText();
        String spiffeId = "spiffe://example.org/ns/dcr/sa/wit";
        Map<String, Object> metadata = SvidRealm.registrationMetadata("dcr-wit", spiffeId, null, null);
        metadata.put("token_endpoint_auth_method", "spiffe_wit");
        HttpResponse<String> registered = SvidRealm.register(URI.create(issuer()), token, metadata);

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.path("token_endpoint_auth_method").asText()).isEqualTo("spiffe_wit");
        assertThat(answer.path("spiffe_id").asText()).isEqualTo(spiffeId);
        JsonNode stored = env.keycloak().admin().client(SvidRealm.REALM, answer.path("client_id").asText());
        assertThat(stored.path("clientAuthenticatorType").asText()).isEqualTo("client-svid-wit");

        Map<String, Object> withBundle = SvidRealm.registrationMetadata("dcr-wit-own", "spiffe://example.org/ns/dcr/sa/own",
                "spiffe_bundle_endpoint", env.forKeycloak(spire.bundleUrl()));
        withBundle.put("token_endpoint_auth_method", "spiffe_wit");
        HttpResponse<String> refused = SvidRealm.register(URI.create(issuer()), token, withBundle);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("svid.bundle.uri: registrants may not supply key material");

        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.put("sub", spiffeId), spire.witSigningKey());
        assertAttack("no_wit_keys", "publishes no WIT-SVID keys", () -> present(forged, genuine.pop(issuer())));
    }

    // ------------------------------------------------------------------ the proof of possession

    @Test
    void missingPop() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("missing_pop", "without a proof of possession", () -> present(wit.token(), null));
    }

    @Test
    void popByAnotherKey() throws Exception {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        ECKey other = new ECKeyGenerator(Curve.P_256).generate();
        assertAttack("bad_pop", "does not verify with the WIT's cnf key",
                () -> present(wit.token(), wit.pop(issuer(), Map.of(), other, JWSAlgorithm.ES256, Map.of())));
    }

    @Test
    void popOfAnotherWorkloadsWit() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        WitSvid other = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "does not verify with the WIT's cnf key", () -> present(wit.token(), other.pop(issuer())));
    }

    @Test
    void replayedPop() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        String pop = wit.pop(issuer());
        assertThat(present(wit.token(), pop).status).isEqualTo(200);
        assertAttack("pop_replayed", "already used", () -> present(wit.token(), pop));
    }

    @Test
    void popForAnotherAudience() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "is not this realm's issuer URL",
                () -> present(wit.token(), wit.pop("https://other.example/realms/svid")));
        assertAttack("bad_pop", "is not this realm's issuer URL",
                () -> present(wit.token(), wit.pop(env.tokenEndpoint().toString())));
    }

    @Test
    void stalePop() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        long stale = Instant.now().minusSeconds(300).getEpochSecond();
        assertAttack("bad_pop", "s ago; at most 60 s", () -> present(wit.token(), wit.pop(issuer(), Map.of("iat", stale))));
    }

    @Test
    void popWithoutJti() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        Map<String, Object> noJti = new LinkedHashMap<>();
        noJti.put("jti", null);
        assertAttack("bad_pop", "has no 'jti' claim", () -> present(wit.token(), wit.pop(issuer(), noJti)));
    }

    @Test
    void popOfAnotherType() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "'typ' must be 'oauth-client-attestation-pop+jwt'", () -> present(wit.token(),
                wit.pop(issuer(), Map.of(), wit.workloadKey(), JWSAlgorithm.ES256, Map.of("typ", "dpop+jwt"))));
    }

    @Test
    void popFromTheFuture() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        long future = Instant.now().plusSeconds(300).getEpochSecond();
        assertAttack("bad_pop", "PoP was issued in the future", () -> present(wit.token(), wit.pop(issuer(), Map.of("iat", future))));
    }

    @Test
    void expiredPop() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        long past = Instant.now().minusSeconds(45).getEpochSecond();
        assertAttack("bad_pop", "PoP expired at", () -> present(wit.token(), wit.pop(issuer(), Map.of("exp", past))));
    }

    @Test
    void popIssuedByAnotherClient() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "is not the client_id of the client it authenticates",
                () -> present(wit.token(), wit.pop(issuer(), Map.of("iss", "another-client"))));
    }

    // ------------------------------------------------------------------ the WIT-SVID

    @Test
    void expiredWit() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID, Duration.ofHours(1),
                Map.of("exp", Instant.now().minusSeconds(120).getEpochSecond()));
        assertAttack("expired", "WIT-SVID expired at", () -> present(wit.token(), wit.pop(issuer())));
    }

    @Test
    void witNotYetValid() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID, Duration.ofHours(1),
                Map.of("nbf", Instant.now().plusSeconds(600).getEpochSecond()));
        assertAttack("not_yet_valid", "WIT-SVID is not valid before", () -> present(wit.token(), wit.pop(issuer())));
    }

    @Test
    void witOfAnotherTrustDomainsKeys() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> { }, foreign.witSigningKey());
        assertAttack("unknown_kid", "is not among the wit-svid keys", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void witSignedByAJwtSvidKey() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> { }, spire.signingKey());
        assertAttack("unknown_kid", "is not among the wit-svid keys", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void trustDomainWithoutWitKeys() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.put("sub", NO_WIT_ID), noWit.signingKey());
        assertAttack("no_wit_keys", "publishes no WIT-SVID keys", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void algNoneAndHs256() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String[] parts = genuine.token().split("\\.");
        String none = Forge.b64("{\"alg\":\"none\",\"kid\":\"k\",\"typ\":\"wit+jwt\"}") + "." + parts[1] + ".";
        assertAttack("bad_alg", "'none' is never accepted", () -> present(none, genuine.pop(issuer())));
        String hs = Forge.b64("{\"alg\":\"HS256\",\"kid\":\"k\",\"typ\":\"wit+jwt\"}") + "." + parts[1] + ".c2lnbmF0dXJl";
        assertAttack("bad_alg", "is symmetric", () -> present(hs, genuine.pop(issuer())));
    }

    @Test
    void witWithoutCnf() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.remove("cnf"), spire.witSigningKey());
        assertAttack("malformed", "has no 'cnf' claim", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void cnfWithAPrivateKey() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String d = ((ECKey) genuine.workloadKey()).getD().toString();
        String forged = forge(genuine, h -> { }, c -> ((ObjectNode) c.path("cnf").path("jwk")).put("d", d), spire.witSigningKey());
        assertAttack("malformed", "private or symmetric key material", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void witWithAnAudience() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.put("aud", issuer()), spire.witSigningKey());
        assertAttack("malformed", "carries 'aud'", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void jkuAndX5uHeaders() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        for (String member : List.of("jku", "x5u")) {
            String forged = forge(genuine, h -> h.put(member, "https://evil.example/keys"), c -> { }, spire.witSigningKey());
            assertAttack("bad_header", "header carries '" + member + "'", () -> present(forged, genuine.pop(issuer())));
        }
    }

    @Test
    void oversizedHeader() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> h.put("kid", "k".repeat(1500)), c -> { }, spire.witSigningKey());
        assertAttack("bad_header", "at most 1024 are accepted", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void jwtSvidAsWit() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String jwtSvid = spire.svid(SPIFFE_ID).audience(issuer()).mint();
        assertAttack("bad_header", "'typ' must be 'wit+jwt', not 'JWT'", () -> present(jwtSvid, genuine.pop(issuer())));
    }

    @Test
    void witAsJwtSvidClientAssertion() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_header", "'typ' must be JWT or JOSE", () -> post(Map.of(), Map.of(
                "client_assertion_type", SvidRealm.JWT_SPIFFE, "client_assertion", wit.token())));
    }

    @Test
    void witInTheAuthorizationHeader() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("missing_wit", "Authorization header is never accepted",
                () -> post(Map.of("Authorization", "Bearer " + wit.token()), Map.of()));
    }

    @Test
    void witClientNamedWithoutItsWit() {
        assertAttack("missing_wit", "authenticates with a WIT-SVID", () -> post(Map.of(), Map.of("client_id", CLIENT)));
    }

    // ------------------------------------------------------------------ the cnf key

    /** {@code cnf.jwk} replaced by {@code jwk}, the WIT re-signed by the trust domain's own WIT key. */
    private String withCnf(WitSvid genuine, Map<String, Object> jwk) {
        return forge(genuine, h -> { }, c -> ((ObjectNode) c.get("cnf")).set("jwk", JSON.valueToTree(jwk)), spire.witSigningKey());
    }

    private static String randomB64(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64URL.encode(b).toString();
    }

    @Test
    void cnfKeyOfAForbiddenTypeEd25519() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String x = randomB64(32);
        assertAttack("malformed", "'EdDSA' is not supported", () -> present(
                withCnf(genuine, Map.of("kty", "OKP", "crv", "Ed25519", "x", x, "alg", "EdDSA")), genuine.pop(issuer())));
        assertAttack("malformed", "cnf.jwk is not an accepted public key", () -> present(
                withCnf(genuine, Map.of("kty", "OKP", "crv", "Ed25519", "x", x, "alg", "ES256")), genuine.pop(issuer())));
    }

    @Test
    void cnfKeyOnAnUnsupportedCurve() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        for (String crv : List.of("P-192", "secp256k1")) {
            int size = "P-192".equals(crv) ? 24 : 32;
            String forged = withCnf(genuine, Map.of("kty", "EC", "crv", crv, "x", randomB64(size), "y", randomB64(size), "alg", "ES256"));
            assertAttack("malformed", "WIT-SVID cnf.jwk is not", () -> present(forged, genuine.pop(issuer())));
        }
    }

    @Test
    void cnfRsaKeyOf1024Bits() throws Exception {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        RSAKey weak = new RSAKey.Builder((RSAPublicKey) rsa.generateKeyPair().getPublic()).algorithm(JWSAlgorithm.RS256).build();
        assertAttack("malformed", "1024-bit RSA key", () -> present(withCnf(genuine, weak.toJSONObject()), genuine.pop(issuer())));
    }

    @Test
    void cnfAlgOutsideTheListOrNotTheKeysType() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        Map<String, Object> jwk = new LinkedHashMap<>(genuine.workloadKey().toPublicJWK().toJSONObject());
        jwk.put("alg", "ES256K");
        String unlisted = withCnf(genuine, jwk);
        assertAttack("malformed", "'ES256K' is not supported", () -> present(unlisted, genuine.pop(issuer())));
        jwk.put("alg", "HS256");
        String symmetric = withCnf(genuine, jwk);
        assertAttack("malformed", "is symmetric", () -> present(symmetric, genuine.pop(issuer())));
        jwk.put("alg", "RS256"); // an EC P-256 key that claims to be an RSA key's
        String mismatched = withCnf(genuine, jwk);
        assertAttack("malformed", "cannot verify RS256 signatures", () -> present(mismatched, genuine.pop(issuer())));
    }

    // ------------------------------------------------------------------ the headers

    @Test
    void twoAttestationHeaders() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        WitSvid other = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("malformed", "2 OAuth-Client-Attestation headers; exactly one", () -> post(List.of(
                Map.entry("OAuth-Client-Attestation", wit.token()), Map.entry("OAuth-Client-Attestation", other.token()),
                Map.entry("OAuth-Client-Attestation-PoP", wit.pop(issuer()))), Map.of()));
    }

    @Test
    void twoPopHeaders() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "2 OAuth-Client-Attestation-PoP headers; exactly one", () -> post(List.of(
                Map.entry("OAuth-Client-Attestation", wit.token()), Map.entry("OAuth-Client-Attestation-PoP", wit.pop(issuer())),
                Map.entry("OAuth-Client-Attestation-PoP", wit.pop(issuer()))), Map.of()));
    }

    // ------------------------------------------------------------------ more of the proof of possession

    /** nbf is optional in a PoP, but binding when present (RFC 7519 section 4.1.5); exp is optional and may be left out. */
    @Test
    void popNotYetValid() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        long future = Instant.now().plusSeconds(300).getEpochSecond();
        assertAttack("bad_pop", "PoP is not valid before", () -> present(wit.token(), wit.pop(issuer(), Map.of("nbf", future))));
    }

    @Test
    void popWithKeyHeaders() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("jwk", wit.workloadKey().toPublicJWK().toJSONObject());
        headers.put("jku", "https://evil.example/keys");
        headers.put("x5c", List.of(randomB64(64)));
        headers.forEach((member, value) -> assertAttack("bad_pop", "PoP header carries '" + member + "'", () -> present(wit.token(),
                wit.pop(issuer(), Map.of(), wit.workloadKey(), JWSAlgorithm.ES256, Map.of(member, value)))));
    }

    /** The header claims an algorithm; the signature is ES256 by the cnf key, so only the alg rule can refuse it. */
    @Test
    void popAlgNoneSymmetricOrNotTheCnfAlg() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("none", "'none' is never accepted");
        cases.put("HS256", "is symmetric");
        cases.put("ES384", "PoP algorithm ES384 is not the WIT's cnf.jwk.alg ES256");
        cases.forEach((alg, detail) -> assertAttack("bad_pop", detail, () -> present(wit.token(),
                wit.pop(issuer(), Map.of(), wit.workloadKey(), JWSAlgorithm.ES256, Map.of("alg", alg)))));
    }

    @Test
    void popAudienceArrayWithASecondAudience() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        assertAttack("bad_pop", "as one string", () -> present(wit.token(),
                wit.pop(issuer(), Map.of("aud", List.of(issuer(), "https://other.example/realms/svid")))));
    }

    // ------------------------------------------------------------------ more of the WIT-SVID

    @Test
    void witSubNotASpiffeId() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.put("sub", "https://wit.test/ns/apps/sa/payments"), spire.witSigningKey());
        assertAttack("bad_spiffe_id", "is not a valid SPIFFE ID", () -> present(forged, genuine.pop(issuer())));
    }

    /**
     * A client that accepts a SPIFFE ID of foreign.test but names wit.test's bundle (an
     * administrator's mistake): a WIT of foreign.test signed by wit.test's own WIT key is refused,
     * because the bundle's X.509 authorities say whose bundle it is.
     */
    @Test
    void witOfAnotherTrustDomainThanItsSigningKey() {
        String crossed = "spiffe://foreign.test/ns/apps/sa/crossed";
        create(witClient("wit-crossed", crossed, env.forKeycloak(spire.bundleUrl())));
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.put("sub", crossed), spire.witSigningKey());
        assertAttack("trust_domain_mismatch", "not of the SVID's trust domain 'foreign.test'",
                () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void witWithCrit() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> h.putArray("crit").add("exp"), c -> { }, spire.witSigningKey());
        assertAttack("bad_header", "header carries 'crit'", () -> present(forged, genuine.pop(issuer())));
    }

    @Test
    void witWithoutExp() {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String forged = forge(genuine, h -> { }, c -> c.remove("exp"), spire.witSigningKey());
        assertAttack("malformed", "has no 'exp' claim", () -> present(forged, genuine.pop(issuer())));
    }

    /**
     * SPIRE-style rotation of the WIT keys (a new key signs at once, the old one retired, then
     * unpublished): once the server has refetched the bundle, a WIT-SVID of the old key is refused
     * while one of the new key is accepted.
     */
    @Test
    void witWhoseKeyWasRotatedOutOfTheBundle() throws InterruptedException {
        String id = "spiffe://rotated.test/ns/apps/sa/x";
        try (SpireEmulator rotated = SpireEmulator.builder().trustDomain("rotated.test").witSvids(true).x509Authority(true).start()) {
            create(witClient("wit-rotated", id, env.forKeycloak(rotated.bundleUrl())));
            WitSvid old = rotated.mintWitSvid(id);
            assertThat(present(old.token(), old.pop(issuer())).status).isEqualTo(200); // the bundle is cached from here
            long firstFetch = System.nanoTime();
            rotated.rotateWitKeys();
            rotated.dropRetiredWitKeys();
            assertThat(rotated.publishedWitKeys()).extracting(com.nimbusds.jose.jwk.JWK::getKeyID)
                    .doesNotContain(JSON.readTree(java.util.Base64.getUrlDecoder().decode(old.token().split("\\.")[0]))
                            .path("kid").asText());
            // an unknown kid may refetch the bundle 10 s after the last fetch
            Thread.sleep(Math.max(0, Duration.ofSeconds(11).toMillis() - (System.nanoTime() - firstFetch) / 1_000_000));
            WitSvid current = rotated.mintWitSvid(id);
            FormPost.Answer renewed = present(current.token(), current.pop(issuer()));
            assertThat(renewed.status).as(renewed.toString()).isEqualTo(200);
            assertAttack("unknown_kid", "is not among the wit-svid keys", () -> present(old.token(), old.pop(issuer())));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ JWT-SVIDs next to the attestation headers

    /**
     * A bearer JWT-SVID of the WIT client's SPIFFE ID, sent with that workload's genuine
     * attestation headers: client-svid-jwt judges the assertion and finds no JWT-SVID client, so
     * the headers never turn a bearer SVID into a proof of possession.
     */
    @Test
    void jwtSvidWithAttestationHeadersForTheWitClient() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        Map<String, String> headers = Map.of("OAuth-Client-Attestation", wit.token(), "OAuth-Client-Attestation-PoP", wit.pop(issuer()));
        String jwtSvid = spire.svid(SPIFFE_ID).audience(issuer()).mint();
        assertAttack("wrong_auth_method", "does not use client-svid-jwt authentication", () -> post(headers, Map.of(
                "client_assertion_type", SvidRealm.JWT_SPIFFE, "client_assertion", jwtSvid, "client_id", CLIENT)));
        assertAttack("unknown_client", "accepts SPIFFE ID", () -> post(headers, Map.of(
                "client_assertion_type", SvidRealm.JWT_SPIFFE, "client_assertion", spire.svid(SPIFFE_ID).audience(issuer()).mint())));
    }

    /**
     * Not an attack: a JWT-SVID client's request that also carries attestation headers is judged
     * by client-svid-jwt on its assertion alone; client-svid-wit leaves every request with a
     * client_assertion to the assertion authenticators.
     */
    @Test
    void attestationHeadersBesideAJwtSvidAreIgnored() {
        String jwtPeer = "spiffe://wit.test/ns/apps/sa/jwt-peer";
        create(SvidRealm.svidClient("wit-jwt-peer", Map.of("svid.spiffe.id", jwtPeer, "svid.jwks.uri", env.forKeycloak(spire.bundleUrl()))));
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        FormPost.Answer answer = post(Map.of("OAuth-Client-Attestation", wit.token(), "OAuth-Client-Attestation-PoP", wit.pop(issuer())),
                Map.of("client_assertion_type", SvidRealm.JWT_SPIFFE, "client_assertion", spire.svid(jwtPeer).audience(issuer()).mint()));
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("wit-jwt-peer");
    }
}
