package dev.svidauth.svid;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every rule of the WIT-SVID profile and of the attestation draft's PoP, one test each: the happy
 * path, then each refusal with its reason and the words of its detail.
 */
class WitSvidVerifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-07T22:00:00Z");
    private static final String ISSUER = "https://kc.example/realms/svid";
    private static final String CLIENT = "wit-client";
    private static final String SUB = "spiffe://example.org/ns/apps/sa/payments";
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final Duration MAX_AGE = WitSvidVerifier.DEFAULT_POP_MAX_AGE;

    private static final ECKey WIT_KEY = Jws.ec(Curve.P_256, "wit-key-1");
    private static final ECKey JWT_KEY = Jws.ec(Curve.P_256, "jwt-key-1");
    private static final ECKey WORKLOAD = Jws.ec(Curve.P_256, null);
    private static final ECKey OTHER_WORKLOAD = Jws.ec(Curve.P_256, null);

    private final WitSvidVerifier verifier = new WitSvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC));
    private final Set<String> seen = new HashSet<>();
    private final ReplayGuard replay = (key, seconds) -> seen.add(key);
    /** The bundle's wit-svid keys: WIT_KEY only. */
    private final KeyResolver witKeys = (kid, alg) -> {
        if (!WIT_KEY.getKeyID().equals(kid)) {
            throw new SvidRejectedException(Reason.UNKNOWN_KID, "WIT-SVID key id '" + kid + "' is not among the wit-svid keys");
        }
        return List.of(key(WIT_KEY));
    };

    private static VerificationKey key(JWK jwk) {
        try {
            return VerificationKey.of(jwk.toPublicJWK());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ builders

    static ObjectNode witHeader(String kid) {
        ObjectNode h = JSON.createObjectNode();
        h.put("alg", "ES256");
        h.put("kid", kid);
        h.put("typ", "wit+jwt");
        return h;
    }

    static ObjectNode witClaims(JWK workload) {
        ObjectNode c = JSON.createObjectNode();
        c.put("sub", SUB);
        c.put("exp", NOW.plusSeconds(3600).getEpochSecond());
        c.put("iat", NOW.minusSeconds(60).getEpochSecond());
        c.put("jti", "wit-jti");
        ObjectNode jwk = JSON.createObjectNode();
        workload.toPublicJWK().toJSONObject().forEach((k, v) -> jwk.put(k, String.valueOf(v)));
        jwk.put("alg", "ES256");
        c.putObject("cnf").set("jwk", jwk);
        return c;
    }

    static ObjectNode popHeader() {
        ObjectNode h = JSON.createObjectNode();
        h.put("alg", "ES256");
        h.put("typ", WitSvidVerifier.POP_TYP);
        return h;
    }

    static ObjectNode popClaims(String jti) {
        ObjectNode c = JSON.createObjectNode();
        c.put("iss", CLIENT);
        c.put("aud", ISSUER);
        c.put("iat", NOW.getEpochSecond());
        c.put("jti", jti);
        return c;
    }

    private String wit(Consumer<ObjectNode> header, Consumer<ObjectNode> claims) {
        ObjectNode h = witHeader(WIT_KEY.getKeyID());
        ObjectNode c = witClaims(WORKLOAD);
        header.accept(h);
        claims.accept(c);
        return Jws.sign(h.toString(), c.toString(), WIT_KEY, JWSAlgorithm.ES256);
    }

    private String wit() {
        return wit(h -> { }, c -> { });
    }

    private String pop(Consumer<ObjectNode> header, Consumer<ObjectNode> claims, JWK signer) {
        ObjectNode h = popHeader();
        ObjectNode c = popClaims("pop-1");
        header.accept(h);
        claims.accept(c);
        return Jws.sign(h.toString(), c.toString(), signer, JWSAlgorithm.ES256);
    }

    private String pop() {
        return pop(h -> { }, c -> { }, WORKLOAD);
    }

    private VerifiedWitSvid verify(String wit, String pop) throws SvidRejectedException {
        return verifier.verify(ParsedWitSvid.parse(wit), pop, CLIENT, ISSUER, SKEW, MAX_AGE, witKeys, replay);
    }

    private void assertRefused(String wit, String pop, Reason reason, String detail) {
        assertThatThrownBy(() -> verify(wit, pop))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason))
                .hasMessageContaining(detail);
    }

    // ------------------------------------------------------------------ the happy path

    @Test
    void witWithItsPopIsAccepted() throws Exception {
        VerifiedWitSvid verified = verify(wit(), pop());

        assertThat(verified.spiffeId()).hasToString(SUB);
        assertThat(verified.keyId()).isEqualTo(WIT_KEY.getKeyID());
        assertThat(verified.notes()).containsEntry("svid.sub", SUB).containsEntry("svid.kid", WIT_KEY.getKeyID())
                .containsKey("svid.claims");
        assertThat(seen).singleElement().asString().startsWith(WitSvidVerifier.POP_KEY_PREFIX);
    }

    @Test
    void rsaPsWorkloadKeyIsAccepted() throws Exception {
        RSAKey rsa = Jws.rsa(2048, null);
        String wit = wit(h -> { }, c -> {
            ObjectNode jwk = JSON.createObjectNode();
            rsa.toPublicJWK().toJSONObject().forEach((k, v) -> jwk.put(k, String.valueOf(v)));
            jwk.put("alg", "PS256");
            ((ObjectNode) c.get("cnf")).set("jwk", jwk);
        });
        ObjectNode h = popHeader();
        h.put("alg", "PS256");
        String pop = Jws.sign(h.toString(), popClaims("rsa").toString(), rsa, JWSAlgorithm.PS256);

        assertThat(verify(wit, pop).spiffeId()).hasToString(SUB);
    }

    @Test
    void aWitPresentedAgainIsNotParsedOrVerifiedAgainButItsPopIs() throws Exception {
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        VerificationKey witKey = key(WIT_KEY);
        KeyResolver counted = (kid, alg) -> {
            lookups.incrementAndGet();
            return java.util.List.of(witKey);
        };
        WitSvidVerifier remembering = new WitSvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC), 100, () -> null);
        String token = wit();
        ParsedWitSvid first = remembering.parse(token);
        assertThat(remembering.parse(new String(token))).as("not verified yet: parsed anew").isNotSameAs(first);
        remembering.verify(first, pop(h -> { }, c -> c.put("jti", "a"), WORKLOAD), CLIENT, ISSUER, SKEW, MAX_AGE, counted, replay);

        ParsedWitSvid second = remembering.parse(new String(token));
        assertThat(second).as("verified once: only the key is kept").isNotSameAs(first);
        remembering.verify(second, pop(h -> { }, c -> c.put("jti", "b"), WORKLOAD), CLIENT, ISSUER, SKEW, MAX_AGE, counted, replay);
        ParsedWitSvid again = remembering.parse(new String(token));
        assertThat(again).as("presented again: the kept parse, its cnf key included").isSameAs(second);
        // the PoP is still checked every time: one by another key is refused on the kept WIT
        assertThatThrownBy(() -> remembering.verify(again, pop(h -> { }, c -> c.put("jti", "c"), OTHER_WORKLOAD), CLIENT,
                ISSUER, SKEW, MAX_AGE, counted, replay))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_POP));
        // a kept verification counts only while its key is still a candidate
        VerificationKey refetched = key(WIT_KEY);
        assertThat(remembering.verify(again, pop(h -> { }, c -> c.put("jti", "d"), WORKLOAD), CLIENT, ISSUER, SKEW, MAX_AGE,
                (kid, alg) -> java.util.List.of(refetched), replay).keyId()).isEqualTo(WIT_KEY.getKeyID());
        assertThat(lookups.get()).as("the keys are asked for on every presentation").isEqualTo(3);
    }

    @Test
    void theCnfKeyIsHeldInTheGivenProvidersForm() throws Exception {
        java.security.Provider bc = new org.bouncycastle.jce.provider.BouncyCastleProvider();
        WitSvidVerifier withProvider = new WitSvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC), 0, () -> bc);
        VerifiedWitSvid verified = withProvider.verify(withProvider.parse(wit()), pop(), CLIENT, ISSUER, SKEW, MAX_AGE, witKeys, replay);
        assertThat(verified.spiffeId()).hasToString(SUB);
        com.nimbusds.jose.crypto.ECDSAVerifier cnf = (com.nimbusds.jose.crypto.ECDSAVerifier) withProvider.parse(wit()).confirmationKey().verifier();
        assertThat(cnf.getPublicKey().getClass().getName()).contains("bouncycastle");
        com.nimbusds.jose.crypto.ECDSAVerifier jdk = (com.nimbusds.jose.crypto.ECDSAVerifier) verifier.parse(wit()).confirmationKey().verifier();
        assertThat(jdk.getPublicKey().getClass().getName()).doesNotContain("bouncycastle");
    }

    // ------------------------------------------------------------------ the WIT-SVID

    @Test
    void typMustBeWitJwt() {
        assertRefused(wit(h -> h.put("typ", "JWT"), c -> { }), pop(), Reason.BAD_HEADER, "'typ' must be 'wit+jwt'");
        assertRefused(wit(h -> h.remove("typ"), c -> { }), pop(), Reason.BAD_HEADER, "'typ' must be 'wit+jwt', not absent");
        assertRefused(wit(h -> h.put("typ", "WIT+JWT"), c -> { }), pop(), Reason.BAD_HEADER, "'typ' must be 'wit+jwt'");
    }

    @Test
    void aJwtSvidIsNeverAWit() {
        ObjectNode claims = witClaims(WORKLOAD);
        claims.remove("cnf");
        claims.put("aud", ISSUER);
        String jwtSvid = Jws.sign("{\"alg\":\"ES256\",\"kid\":\"jwt-key-1\",\"typ\":\"JWT\"}", claims.toString(), JWT_KEY, JWSAlgorithm.ES256);
        assertRefused(jwtSvid, pop(), Reason.BAD_HEADER, "'typ' must be 'wit+jwt', not 'JWT'");
    }

    @Test
    void aWitIsNeverAJwtSvid() {
        assertThatThrownBy(() -> ParsedJwtSvid.parse(wit()))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_HEADER))
                .hasMessageContaining("'typ' must be JWT or JOSE");
    }

    @Test
    void kidIsRequired() {
        assertRefused(wit(h -> h.remove("kid"), c -> { }), pop(), Reason.BAD_HEADER, "has no 'kid'");
    }

    @Test
    void keyHeadersAreRefused() {
        for (String member : List.of("jku", "x5u", "jwk", "x5c", "crit")) {
            assertRefused(wit(h -> h.put(member, "https://evil.example/keys"), c -> { }), pop(), Reason.BAD_HEADER,
                    "header carries '" + member + "'");
        }
    }

    @Test
    void algNoneAndSymmetricAreRefused() {
        String none = Jws.b64(witHeader(WIT_KEY.getKeyID()).put("alg", "none").toString()) + "."
                + Jws.b64(witClaims(WORKLOAD).toString()) + ".";
        assertRefused(none, pop(), Reason.BAD_ALG, "'none' is never accepted");
        String hs = Jws.b64(witHeader(WIT_KEY.getKeyID()).put("alg", "HS256").toString()) + "."
                + Jws.b64(witClaims(WORKLOAD).toString()) + ".c2lnbmF0dXJl";
        assertRefused(hs, pop(), Reason.BAD_ALG, "is symmetric");
        String eddsa = Jws.b64(witHeader(WIT_KEY.getKeyID()).put("alg", "EdDSA").toString()) + "."
                + Jws.b64(witClaims(WORKLOAD).toString()) + ".c2lnbmF0dXJl";
        assertRefused(eddsa, pop(), Reason.BAD_ALG, "is not supported");
    }

    @Test
    void oversizedHeaderIsRefused() {
        assertRefused(wit(h -> h.put("kid", "k".repeat(2000)), c -> { }), pop(), Reason.BAD_HEADER, "at most 1024 are accepted");
    }

    @Test
    void subMustBeASpiffeId() {
        assertRefused(wit(h -> { }, c -> c.put("sub", "https://example.org/x")), pop(), Reason.BAD_SPIFFE_ID, "not a valid SPIFFE ID");
        assertRefused(wit(h -> { }, c -> c.remove("sub")), pop(), Reason.MALFORMED, "has no 'sub' claim");
    }

    @Test
    void expIsRequiredAndNotPast() {
        assertRefused(wit(h -> { }, c -> c.remove("exp")), pop(), Reason.MALFORMED, "has no 'exp' claim");
        assertRefused(wit(h -> { }, c -> c.put("exp", NOW.minusSeconds(31).getEpochSecond())), pop(), Reason.EXPIRED,
                "WIT-SVID expired at");
    }

    @Test
    void expWithinTheClockSkewIsAccepted() throws Exception {
        assertThat(verify(wit(h -> { }, c -> c.put("exp", NOW.minusSeconds(29).getEpochSecond())), pop())).isNotNull();
    }

    @Test
    void nbfInTheFutureIsRefused() {
        assertRefused(wit(h -> { }, c -> c.put("nbf", NOW.plusSeconds(31).getEpochSecond())), pop(), Reason.NOT_YET_VALID,
                "not valid before");
    }

    @Test
    void audMustNotBePresent() {
        assertRefused(wit(h -> { }, c -> c.put("aud", ISSUER)), pop(), Reason.MALFORMED, "carries 'aud'");
    }

    @Test
    void cnfIsRequired() {
        assertRefused(wit(h -> { }, c -> c.remove("cnf")), pop(), Reason.MALFORMED, "has no 'cnf' claim");
        assertRefused(wit(h -> { }, c -> c.putObject("cnf").put("jkt", "abc")), pop(), Reason.MALFORMED, "has no 'jwk' object");
    }

    @Test
    void cnfWithAPrivateKeyIsRefused() {
        assertRefused(wit(h -> { }, c -> ((ObjectNode) c.get("cnf").get("jwk")).put("d", WORKLOAD.getD().toString())),
                pop(), Reason.MALFORMED, "private or symmetric key material ('d')");
    }

    /**
     * The trust domain that signs the WIT chooses its cnf key: an RSA key beyond the key limits
     * would make every PoP check as costly as the issuer likes, so it is refused before any
     * signature is checked.
     */
    @Test
    void cnfRsaKeyBeyondTheKeyLimitsIsRefused() {
        byte[] modulus = new byte[8192 / 8];
        java.util.Arrays.fill(modulus, (byte) 0xC5);
        String n = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(modulus);
        assertRefused(wit(h -> { }, c -> {
            ObjectNode jwk = ((ObjectNode) c.get("cnf")).putObject("jwk");
            jwk.put("kty", "RSA").put("alg", "RS256").put("n", n).put("e", "AQAB");
        }), pop(), Reason.MALFORMED, "cnf.jwk is not an accepted public key");
    }

    @Test
    void cnfAlgIsRequiredAndFromTheList() {
        assertRefused(wit(h -> { }, c -> ((ObjectNode) c.get("cnf").get("jwk")).remove("alg")), pop(), Reason.MALFORMED,
                "cnf.jwk has no 'alg'");
        assertRefused(wit(h -> { }, c -> ((ObjectNode) c.get("cnf").get("jwk")).put("alg", "HS256")), pop(), Reason.MALFORMED,
                "is symmetric");
        assertRefused(wit(h -> { }, c -> ((ObjectNode) c.get("cnf").get("jwk")).put("alg", "ES384")), pop(), Reason.MALFORMED,
                "cannot verify ES384");
    }

    @Test
    void cnfOfAnUnsupportedKeyTypeIsRefused() {
        assertRefused(wit(h -> { }, c -> {
            ObjectNode jwk = ((ObjectNode) c.get("cnf")).putObject("jwk");
            jwk.put("kty", "OKP").put("crv", "Ed25519").put("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").put("alg", "ES256");
        }), pop(), Reason.MALFORMED, "cnf.jwk");
    }

    @Test
    void witSignedByAJwtSvidKeyIsRefused() {
        ObjectNode h = witHeader(JWT_KEY.getKeyID());
        String wit = Jws.sign(h.toString(), witClaims(WORKLOAD).toString(), JWT_KEY, JWSAlgorithm.ES256);
        assertRefused(wit, pop(), Reason.UNKNOWN_KID, "is not among the wit-svid keys");
    }

    @Test
    void witWithAForgedSignatureIsRefused() {
        ObjectNode h = witHeader(WIT_KEY.getKeyID());
        String wit = Jws.sign(h.toString(), witClaims(WORKLOAD).toString(), JWT_KEY, JWSAlgorithm.ES256);
        assertRefused(wit, pop(), Reason.BAD_SIGNATURE, "WIT-SVID signature is invalid");
    }

    // ------------------------------------------------------------------ the proof of possession

    @Test
    void popIsRequired() {
        assertRefused(wit(), null, Reason.MISSING_POP, "without a proof of possession");
        assertRefused(wit(), "", Reason.MISSING_POP, "without a proof of possession");
    }

    @Test
    void popByAnotherKeyIsRefused() {
        assertRefused(wit(), pop(h -> { }, c -> { }, OTHER_WORKLOAD), Reason.BAD_POP, "does not verify with the WIT's cnf key");
    }

    @Test
    void popTypMustBeTheAttestationPopType() {
        assertRefused(wit(), pop(h -> h.put("typ", "JWT"), c -> { }, WORKLOAD), Reason.BAD_POP,
                "'typ' must be 'oauth-client-attestation-pop+jwt'");
        assertRefused(wit(), pop(h -> h.put("typ", "dpop+jwt"), c -> { }, WORKLOAD), Reason.BAD_POP, "'typ' must be");
    }

    @Test
    void popKeyHeadersAreRefused() {
        assertRefused(wit(), pop(h -> h.put("jwk", "x"), c -> { }, WORKLOAD), Reason.BAD_POP, "header carries 'jwk'");
    }

    @Test
    void popAlgMustBeTheCnfAlg() {
        ObjectNode h = popHeader();
        h.put("alg", "ES384");
        ECKey p384 = Jws.ec(Curve.P_384, null);
        String pop = Jws.sign(h.toString(), popClaims("x").toString(), p384, JWSAlgorithm.ES384);
        assertRefused(wit(), pop, Reason.BAD_POP, "is not the WIT's cnf.jwk.alg ES256");
        String none = Jws.b64(popHeader().put("alg", "none").toString()) + "." + Jws.b64(popClaims("n").toString()) + ".";
        assertRefused(wit(), none, Reason.BAD_POP, "'none' is never accepted");
    }

    @Test
    void popForAnotherAudienceIsRefused() {
        assertRefused(wit(), pop(h -> { }, c -> c.put("aud", "https://other.example/realms/svid"), WORKLOAD), Reason.BAD_POP,
                "is not this realm's issuer URL");
        assertRefused(wit(), pop(h -> { }, c -> c.put("aud", ISSUER + "/protocol/openid-connect/token"), WORKLOAD),
                Reason.BAD_POP, "is not this realm's issuer URL");
        assertRefused(wit(), pop(h -> { }, c -> c.putArray("aud").add(ISSUER).add("https://other.example"), WORKLOAD),
                Reason.BAD_POP, "as one string");
        assertRefused(wit(), pop(h -> { }, c -> c.remove("aud"), WORKLOAD), Reason.BAD_POP, "as one string");
    }

    @Test
    void popAudienceAsAnArrayOfTheIssuerIsAccepted() throws Exception {
        assertThat(verify(wit(), pop(h -> { }, c -> c.putArray("aud").add(ISSUER), WORKLOAD))).isNotNull();
    }

    @Test
    void staleOrFuturePopIsRefused() {
        assertRefused(wit(), pop(h -> { }, c -> c.put("iat", NOW.minusSeconds(91).getEpochSecond()), WORKLOAD), Reason.BAD_POP,
                "issued 91 s ago; at most 60 s");
        assertRefused(wit(), pop(h -> { }, c -> c.put("iat", NOW.plusSeconds(31).getEpochSecond()), WORKLOAD), Reason.BAD_POP,
                "issued in the future");
        assertRefused(wit(), pop(h -> { }, c -> c.remove("iat"), WORKLOAD), Reason.BAD_POP, "has no 'iat' claim");
    }

    @Test
    void popAtTheEdgeOfTheWindowIsAccepted() throws Exception {
        assertThat(verify(wit(), pop(h -> { }, c -> c.put("iat", NOW.minusSeconds(90).getEpochSecond()), WORKLOAD))).isNotNull();
    }

    @Test
    void expiredPopIsRefused() {
        assertRefused(wit(), pop(h -> { }, c -> c.put("exp", NOW.minusSeconds(31).getEpochSecond()), WORKLOAD), Reason.BAD_POP,
                "PoP expired at");
    }

    @Test
    void popNotYetValidIsRefused() throws Exception {
        assertRefused(wit(), pop(h -> { }, c -> c.put("nbf", NOW.plusSeconds(31).getEpochSecond()), WORKLOAD), Reason.BAD_POP,
                "PoP is not valid before");
        assertRefused(wit(), pop(h -> { }, c -> c.put("nbf", "soon"), WORKLOAD), Reason.BAD_POP, "'nbf' claim is not a number");
        assertThat(verify(wit(), pop(h -> { }, c -> c.put("nbf", NOW.plusSeconds(30).getEpochSecond()), WORKLOAD))).isNotNull();
    }

    @Test
    void popWithoutExpIsAccepted() throws Exception {
        // the attestation draft lists exp among the PoP's optional claims: iat and the single-use jti bound it
        assertThat(verify(wit(), pop(h -> { }, c -> c.remove("exp"), WORKLOAD))).isNotNull();
    }

    @Test
    void popIssMustBeTheClientIdWhenPresent() throws Exception {
        assertRefused(wit(), pop(h -> { }, c -> c.put("iss", "another-client"), WORKLOAD), Reason.BAD_POP,
                "is not the client_id");
        assertThat(verify(wit(), pop(h -> { }, c -> c.remove("iss"), WORKLOAD))).isNotNull();
    }

    @Test
    void popJtiIsRequired() {
        assertRefused(wit(), pop(h -> { }, c -> c.remove("jti"), WORKLOAD), Reason.BAD_POP, "has no 'jti' claim");
        assertRefused(wit(), pop(h -> { }, c -> c.put("jti", "j".repeat(257)), WORKLOAD), Reason.BAD_POP, "longer than 256");
    }

    @Test
    void replayedPopIsRefused() throws Exception {
        String wit = wit();
        String pop = pop();
        verify(wit, pop);
        assertRefused(wit, pop, Reason.POP_REPLAYED, "already used");
    }

    @Test
    void sameJtiUnderAnotherWorkloadKeyIsAnotherPop() throws Exception {
        verify(wit(), pop());
        String otherWit = Jws.sign(witHeader(WIT_KEY.getKeyID()).toString(), witClaims(OTHER_WORKLOAD).toString(), WIT_KEY,
                JWSAlgorithm.ES256);
        assertThat(verify(otherWit, pop(h -> { }, c -> { }, OTHER_WORKLOAD))).isNotNull();
    }

    @Test
    void theWitsOwnJtiIsNotUsedForReplay() throws Exception {
        String wit = wit();
        verify(wit, pop(h -> { }, c -> c.put("jti", "a"), WORKLOAD));
        assertThat(verify(wit, pop(h -> { }, c -> c.put("jti", "b"), WORKLOAD))).isNotNull();
    }

    @Test
    void nothingIsRecordedForARefusedPop() {
        assertRefused(wit(), pop(h -> { }, c -> c.put("aud", "https://other.example"), WORKLOAD), Reason.BAD_POP, "aud");
        assertThat(seen).isEmpty();
    }

    @Test
    void singleUseLastsAsLongAsTheWindow() throws Exception {
        long[] lifespan = new long[1];
        verifier.verify(ParsedWitSvid.parse(wit()), pop(), CLIENT, ISSUER, SKEW, MAX_AGE, witKeys, (key, seconds) -> {
            lifespan[0] = seconds;
            return true;
        });
        assertThat(lifespan[0]).isEqualTo(MAX_AGE.toSeconds() + SKEW.toSeconds() + 1);
    }

    // ------------------------------------------------------------------ the WIT alone (diagnose endpoint)

    @Test
    void withoutPopTheWitsOwnChecksRunAndNothingIsRecorded() throws Exception {
        assertThat(verifier.checkWithoutPop(ParsedWitSvid.parse(wit()), SKEW, witKeys)).isEqualTo(WIT_KEY.getKeyID());

        ParsedWitSvid expired = ParsedWitSvid.parse(wit(h -> { }, c -> c.put("exp", NOW.minusSeconds(31).getEpochSecond())));
        assertThatThrownBy(() -> verifier.checkWithoutPop(expired, SKEW, witKeys))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
        ParsedWitSvid byJwtKey = ParsedWitSvid.parse(Jws.sign(witHeader(JWT_KEY.getKeyID()).toString(),
                witClaims(WORKLOAD).toString(), JWT_KEY, JWSAlgorithm.ES256));
        assertThatThrownBy(() -> verifier.checkWithoutPop(byJwtKey, SKEW, witKeys))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KID));
        assertThat(seen).isEmpty();
    }

    // ------------------------------------------------------------------ conformance (docs/conformance.md)

    /** WIT-SVID spec section 2.3: every algorithm of the profile's list signs a WIT-SVID that verifies. */
    @ParameterizedTest
    @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
    void everyAlgorithmOfTheProfileSignsAWit(String name) throws Exception {
        JWSAlgorithm alg = JWSAlgorithm.parse(name);
        JWK issuerKey = switch (name) {
            case "ES256" -> Jws.ec(Curve.P_256, "wit-" + name);
            case "ES384" -> Jws.ec(Curve.P_384, "wit-" + name);
            case "ES512" -> Jws.ec(Curve.P_521, "wit-" + name);
            default -> Jws.rsa(2048, "wit-" + name);
        };
        ObjectNode h = witHeader(issuerKey.getKeyID());
        h.put("alg", name);
        String wit = Jws.sign(h.toString(), witClaims(WORKLOAD).toString(), issuerKey, alg);
        KeyResolver keys = (kid, a) -> List.of(key(issuerKey));

        VerifiedWitSvid verified = verifier.verify(ParsedWitSvid.parse(wit), pop(), CLIENT, ISSUER, SKEW, MAX_AGE, keys, replay);
        assertThat(verified.keyId()).isEqualTo(issuerKey.getKeyID());
    }

    /**
     * WIT-SVID spec section 3.8 and the attestation draft's "MUST be ignored": claims a validator
     * does not know, in the WIT-SVID and in the PoP, change nothing; a {@code challenge} claim is
     * one of them while no challenge is offered.
     */
    @Test
    void unknownClaimsAndAChallengeAreIgnored() throws Exception {
        String wit = wit(h -> { }, c -> c.put("workload_kind", "batch"));
        String pop = pop(h -> { }, c -> c.put("challenge", "never-offered").put("nonce_of_another_profile", 7), WORKLOAD);
        assertThat(verify(wit, pop).spiffeId()).hasToString(SUB);
    }

    /** WIT-SVID spec section 3.6: {@code iat} is never a not-before; only {@code nbf} is. */
    @Test
    void aFutureIatIsNoNotBefore() throws Exception {
        assertThat(verify(wit(h -> { }, c -> c.put("iat", NOW.plusSeconds(3000).getEpochSecond())), pop())).isNotNull();
    }
}
