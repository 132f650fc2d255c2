package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class JwtSvidVerifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);

    private static final String REALM = "https://kc.example.org/realms/apps";
    private static final String TOKEN_ENDPOINT = REALM + "/protocol/openid-connect/token";
    private static final Set<String> SERVER_AUDIENCES = Set.of(REALM, TOKEN_ENDPOINT);
    private static final String ISSUER = "https://oidc.example.org";
    private static final String SUB = "spiffe://example.org/ns/apps/sa/agent";

    private static final ECKey EC256 = Jws.ec(Curve.P_256, "ec256");
    private static final ECKey EC256_B = Jws.ec(Curve.P_256, "ec256-b");
    private static final ECKey EC384 = Jws.ec(Curve.P_384, "ec384");
    private static final ECKey EC521 = Jws.ec(Curve.P_521, "ec521");
    private static final RSAKey RSA = Jws.rsa(2048, "rsa");
    /** Same kid as {@link #EC256}, different key: an attacker's look-alike. */
    private static final ECKey IMPOSTOR = Jws.ec(Curve.P_256, "ec256");

    private static final RSAKey RSA_IMPOSTOR = Jws.rsa(2048, "rsa");

    private static final KeyResolver KEYS = resolver(EC256, EC256_B, EC384, EC521, RSA);

    private final JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK);

    static KeyResolver resolver(JWK... jwks) {
        List<VerificationKey> keys = new ArrayList<>();
        for (JWK jwk : jwks) {
            try {
                keys.add(VerificationKey.of(jwk.toPublicJWK()));
            } catch (KeySourceException e) {
                throw new IllegalStateException(e);
            }
        }
        return (kid, alg) -> {
            List<VerificationKey> out = new ArrayList<>();
            for (VerificationKey k : keys) {
                if (kid != null ? kid.equals(k.kid()) : k.canVerify(alg)) {
                    out.add(k);
                }
            }
            if (out.isEmpty()) {
                throw new SvidRejectedException(Reason.UNKNOWN_KID, "SVID key id '" + kid + "' is not published");
            }
            return out;
        };
    }

    /** An in-memory single-use store, as Keycloak's SingleUseObjectProvider behaves. */
    static final class MemoryReplayGuard implements ReplayGuard {
        final Map<String, Long> seen = new ConcurrentHashMap<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public boolean firstUse(String key, long lifespanSeconds) {
            calls.incrementAndGet();
            return seen.putIfAbsent(key, lifespanSeconds) == null;
        }
    }

    // ---- token building ----

    static ObjectNode claims() {
        ObjectNode c = JSON.createObjectNode();
        c.put("sub", SUB);
        c.putArray("aud").add(REALM);
        c.put("exp", NOW + 300);
        c.put("iat", NOW - 10);
        return c;
    }

    static ObjectNode claims(Consumer<ObjectNode> edit) {
        ObjectNode c = claims();
        edit.accept(c);
        return c;
    }

    static String token(JWK key, JWSAlgorithm alg, String kid, ObjectNode claims) {
        ObjectNode h = JSON.createObjectNode();
        h.put("alg", alg.getName());
        if (kid != null) {
            h.put("kid", kid);
        }
        h.put("typ", "JWT");
        return Jws.sign(h.toString(), claims.toString(), key, alg);
    }

    static String es256(ObjectNode claims) {
        return token(EC256, JWSAlgorithm.ES256, "ec256", claims);
    }

    private VerifiedJwtSvid verify(String token, SvidPolicy policy) throws SvidRejectedException {
        return verifier.verify(ParsedJwtSvid.parse(token), policy, SERVER_AUDIENCES, KEYS, ReplayGuard.NONE);
    }

    private VerifiedJwtSvid verify(String token) throws SvidRejectedException {
        return verify(token, SvidPolicy.builder().build());
    }

    private void assertRejected(String token, SvidPolicy policy, Reason reason, String messagePart) {
        assertRejected(token, policy, KEYS, reason, messagePart);
    }

    private void assertRejected(String token, SvidPolicy policy, KeyResolver keys, Reason reason, String messagePart) {
        assertThatThrownBy(() -> verifier.verify(ParsedJwtSvid.parse(token), policy, SERVER_AUDIENCES, keys, ReplayGuard.NONE))
                .isInstanceOf(SvidRejectedException.class)
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(reason))
                .hasMessageContaining(messagePart);
    }

    // ---- success ----

    @Test
    void successHandsTheContractNotesToMappers() throws Exception {
        String token = es256(claims(c -> {
            c.put("iss", ISSUER);
            c.put("client_type", "ai-agent");
            c.putObject("ext").put("team", "payments");
        }));

        VerifiedJwtSvid v = verify(token, SvidPolicy.builder().issuer(ISSUER).build());

        assertThat(v.spiffeId().toString()).isEqualTo(SUB);
        assertThat(v.keyId()).isEqualTo("ec256");
        Map<String, String> notes = v.notes();
        assertThat(notes).containsOnlyKeys("svid.sub", "svid.iss", "svid.trust_domain", "svid.path", "svid.kid", "svid.claims");
        assertThat(notes).containsEntry("svid.sub", SUB)
                .containsEntry("svid.iss", ISSUER)
                .containsEntry("svid.trust_domain", "example.org")
                .containsEntry("svid.path", "/ns/apps/sa/agent")
                .containsEntry("svid.kid", "ec256");
        JsonNode all = JSON.readTree(notes.get("svid.claims"));
        assertThat(all.get("client_type").asText()).isEqualTo("ai-agent");
        assertThat(all.get("ext").get("team").asText()).isEqualTo("payments");
        assertThat(all.get("sub").asText()).isEqualTo(SUB);
        assertThat(all.get("exp").asLong()).isEqualTo(NOW + 300);
    }

    @Test
    void everyPassedStepIsReportedInOrderAndAFailedOneIsNot() throws Exception {
        List<String> steps = new java.util.ArrayList<>();
        verifier.verify(ParsedJwtSvid.parse(es256(claims())), SvidPolicy.builder().build(), SERVER_AUDIENCES, KEYS, ReplayGuard.NONE,
                (step, detail) -> steps.add(step.label() + ": " + detail));
        assertThat(steps).extracting(s -> s.substring(0, s.indexOf(':')))
                .containsExactly("issuer", "audience", "time", "signature", "replay");
        assertThat(steps.get(3)).contains("ES256").contains("'ec256'");

        steps.clear();
        String foreign = es256(claims(c -> c.put("aud", "https://elsewhere.example")));
        assertThatThrownBy(() -> verifier.verify(ParsedJwtSvid.parse(foreign), SvidPolicy.builder().build(), SERVER_AUDIENCES, KEYS,
                ReplayGuard.NONE, (step, detail) -> steps.add(step.label())))
                .isInstanceOf(SvidRejectedException.class);
        assertThat(steps).containsExactly("issuer");
    }

    @Test
    void noIssNoteWhenTheSvidHasNoIss() throws Exception {
        Map<String, String> notes = verify(es256(claims())).notes();
        assertThat(notes).doesNotContainKey("svid.iss").containsKeys("svid.sub", "svid.kid", "svid.claims");
    }

    // ---- step 5: issuer ----

    static Stream<Arguments> wrongIssuers() {
        return Stream.of(
                arguments(ISSUER + "/"),
                arguments("https://OIDC.example.org"),
                arguments("http://oidc.example.org"),
                arguments("HTTPS://oidc.example.org"),
                arguments(ISSUER + " "),
                arguments(ISSUER + ":443"),
                arguments("https://oidc.example.org.evil.com"),
                arguments("https://evil.example/" + ISSUER),
                arguments(""));
    }

    @ParameterizedTest
    @MethodSource("wrongIssuers")
    void pinnedIssuerIsComparedByteForByte(String iss) {
        assertRejected(es256(claims(c -> c.put("iss", iss))), SvidPolicy.builder().issuer(ISSUER).build(),
                Reason.BAD_ISSUER, "does not match the issuer pinned for this client");
    }

    @Test
    void pinnedIssuerRequiresIss() {
        assertRejected(es256(claims()), SvidPolicy.builder().issuer(ISSUER).build(),
                Reason.BAD_ISSUER, "SVID has no 'iss' claim, but this client pins issuer '" + ISSUER + "'");
    }

    @Test
    void pinnedIssuerMatchingExactlyIsAccepted() throws Exception {
        assertThat(verify(es256(claims(c -> c.put("iss", ISSUER))), SvidPolicy.builder().issuer(ISSUER).build()).notes())
                .containsEntry("svid.iss", ISSUER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://anything.example", "not even a URL", ""})
    void unsetIssuerAcceptsAnyIss(String iss) throws Exception {
        assertThat(verify(es256(claims(c -> c.put("iss", iss))), SvidPolicy.builder().issuer("").build()).notes())
                .containsEntry("svid.iss", iss);
    }

    // ---- step 6: audience ----

    static Stream<Arguments> acceptedAudiences() {
        return Stream.of(
                arguments(List.of(REALM)),
                arguments(List.of(TOKEN_ENDPOINT)),
                arguments(List.of(REALM, TOKEN_ENDPOINT)),
                arguments(List.of("spiffe://example.org/keycloak")),
                arguments(List.of(REALM, "spiffe://example.org/keycloak")));
    }

    @ParameterizedTest
    @MethodSource("acceptedAudiences")
    void acceptsServerAndClientAudiences(List<String> aud) throws Exception {
        String token = es256(claims(c -> {
            c.remove("aud");
            aud.forEach(c.withArray("aud")::add);
        }));
        SvidPolicy policy = SvidPolicy.builder().audiences(Set.of("spiffe://example.org/keycloak")).build();
        assertThat(verify(token, policy).svid().audience()).isEqualTo(aud);
    }

    @Test
    void acceptsAStringAudience() throws Exception {
        assertThat(verify(es256(claims(c -> c.put("aud", TOKEN_ENDPOINT)))).svid().audience())
                .containsExactly(TOKEN_ENDPOINT);
    }

    static Stream<Arguments> foreignAudiences() {
        return Stream.of(
                arguments(List.of(REALM, "https://other-service.example"), "https://other-service.example"),
                arguments(List.of("https://other-service.example"), "https://other-service.example"),
                arguments(List.of(REALM + "/"), REALM + "/"),
                arguments(List.of("https://kc.example.org/realms/other"), "https://kc.example.org/realms/other"),
                arguments(List.of("spiffe://example.org/keycloak"), "spiffe://example.org/keycloak"));
    }

    @ParameterizedTest
    @MethodSource("foreignAudiences")
    void rejectsAnyForeignAudienceValue(List<String> aud, String foreign) {
        String token = es256(claims(c -> {
            c.remove("aud");
            aud.forEach(c.withArray("aud")::add);
        }));
        assertRejected(token, SvidPolicy.builder().build(), Reason.BAD_AUDIENCE,
                "SVID audience '" + foreign + "' is not accepted here");
    }

    @Test
    void foreignAudienceMessageMentionsClientAudiencesWhenConfigured() {
        String token = es256(claims(c -> c.putArray("aud").add("https://elsewhere")));
        assertRejected(token, SvidPolicy.builder().audiences(Set.of("x")).build(), Reason.BAD_AUDIENCE,
                "or one of the client's svid.audiences");
    }

    /** The refusal names what the client's audience mode expected: issuer only by default, endpoints on opt-in. */
    @Test
    void foreignAudienceMessageNamesTheAudienceMode() {
        String token = es256(claims(c -> c.putArray("aud").add("https://elsewhere")));
        assertRejected(token, SvidPolicy.builder().build(), Reason.BAD_AUDIENCE, "SVID audience 'https://elsewhere' is not"
                + " accepted here; expected this realm's issuer URL (endpoint URLs only with svid.audience.endpoints)");
        assertRejected(token, SvidPolicy.builder().endpointAudiences(true).build(), Reason.BAD_AUDIENCE,
                "SVID audience 'https://elsewhere' is not accepted here; expected this realm's issuer or token endpoint URL");
        assertRejected(token, SvidPolicy.builder().issuerOnlyAudience(true).build(), Reason.BAD_AUDIENCE,
                "SVID audience 'https://elsewhere' is not accepted here; this client accepts only this realm's issuer URL"
                        + " (svid.audience.issuer.only)");
    }

    // ---- step 7: time (skew 30 s, max lifetime 3600 s) ----

    static Stream<Arguments> timeRejections() {
        return Stream.of(
                arguments("expired beyond the skew", (Consumer<ObjectNode>) c -> {
                    c.put("exp", NOW - 31);
                    c.put("iat", NOW - 300);
                }, Reason.EXPIRED, "SVID expired at " + Instant.ofEpochSecond(NOW - 31)),
                arguments("expired exactly at the skew", (Consumer<ObjectNode>) c -> {
                    c.put("exp", NOW - 30);
                    c.put("iat", NOW - 300);
                }, Reason.EXPIRED, "clock skew 30 s"),
                arguments("long expired", (Consumer<ObjectNode>) c -> {
                    c.put("exp", 1);
                    c.put("iat", 0);
                }, Reason.EXPIRED, "SVID expired at 1970-01-01T00:00:01Z"),
                arguments("nbf in the future", (Consumer<ObjectNode>) c -> c.put("nbf", NOW + 31),
                        Reason.NOT_YET_VALID, "SVID is not valid before " + Instant.ofEpochSecond(NOW + 31)),
                arguments("iat in the future", (Consumer<ObjectNode>) c -> c.put("iat", NOW + 31),
                        Reason.NOT_YET_VALID, "SVID was issued in the future"),
                arguments("exp - iat over the cap and its 1 s minting margin", (Consumer<ObjectNode>) c -> {
                    c.put("iat", NOW - 10);
                    c.put("exp", NOW - 10 + 3602);
                }, Reason.LIFETIME_TOO_LONG, "SVID lifetime of 3602 s exceeds the 3600 s allowed"),
                arguments("no iat and exp - now over the cap", (Consumer<ObjectNode>) c -> {
                    c.remove("iat");
                    c.put("exp", NOW + 3601);
                }, Reason.LIFETIME_TOO_LONG, "SVID lifetime of 3601 s exceeds the 3600 s allowed for this client (svid.max.lifetime)"),
                arguments("a year-long SVID", (Consumer<ObjectNode>) c -> c.put("exp", NOW + 365L * 86400),
                        Reason.LIFETIME_TOO_LONG, "exceeds the 3600 s allowed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timeRejections")
    void rejectsBadTimes(String name, Consumer<ObjectNode> edit, Reason reason, String messagePart) {
        assertRejected(es256(claims(edit)), SvidPolicy.builder().build(), reason, messagePart);
    }

    static Stream<Arguments> timeAcceptances() {
        return Stream.of(
                arguments("expired within the skew", (Consumer<ObjectNode>) c -> {
                    c.put("exp", NOW - 29);
                    c.put("iat", NOW - 300);
                }),
                arguments("nbf within the skew", (Consumer<ObjectNode>) c -> c.put("nbf", NOW + 30)),
                arguments("nbf in the past", (Consumer<ObjectNode>) c -> c.put("nbf", NOW - 1000)),
                arguments("iat within the skew", (Consumer<ObjectNode>) c -> c.put("iat", NOW + 30)),
                arguments("lifetime exactly the cap", (Consumer<ObjectNode>) c -> {
                    c.put("iat", NOW - 10);
                    c.put("exp", NOW - 10 + 3600);
                }),
                arguments("exp - iat one second over the cap, as SPIRE's two clock reads can mint it", (Consumer<ObjectNode>) c -> {
                    c.put("iat", NOW - 10);
                    c.put("exp", NOW - 10 + 3601);
                }),
                arguments("no iat, exp - now exactly the cap", (Consumer<ObjectNode>) c -> {
                    c.remove("iat");
                    c.put("exp", NOW + 3600);
                }),
                arguments("no iat, short-lived", (Consumer<ObjectNode>) c -> c.remove("iat")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timeAcceptances")
    void acceptsTimesWithinTheRules(String name, Consumer<ObjectNode> edit) throws Exception {
        assertThat(verify(es256(claims(edit))).spiffeId().toString()).isEqualTo(SUB);
    }

    @Test
    void clientSettingsChangeTheTimeRules() throws Exception {
        String expiredTwoMinutesAgo = es256(claims(c -> {
            c.put("exp", NOW - 120);
            c.put("iat", NOW - 400);
        }));
        assertThat(verify(expiredTwoMinutesAgo, SvidPolicy.builder().clockSkew(Duration.ofMinutes(3)).build())).isNotNull();
        assertRejected(expiredTwoMinutesAgo, SvidPolicy.builder().clockSkew(Duration.ZERO).build(), Reason.EXPIRED, "clock skew 0 s");

        String fiveMinutes = es256(claims(c -> {
            c.put("iat", NOW);
            c.put("exp", NOW + 300);
        }));
        assertRejected(fiveMinutes, SvidPolicy.builder().maxLifetime(Duration.ofSeconds(298)).build(),
                Reason.LIFETIME_TOO_LONG, "SVID lifetime of 300 s exceeds the 298 s allowed");
        assertThat(verify(fiveMinutes, SvidPolicy.builder().maxLifetime(Duration.ofSeconds(300)).build())).isNotNull();
    }

    /**
     * SPIRE's TTL is 300 s and the operator sets svid.max.lifetime to it. SPIRE reads its clock
     * once for iat and again for exp, so one SVID in a thousand or so carries exp - iat = 301:
     * accepted; 302 is not. The margin covers only exp - iat; without iat, exp - now is checked
     * exactly, and the clock skew does not widen the cap.
     */
    @Test
    void lifetimeCapAllowsTheOneSecondOfSpiresTwoClockReads() throws Exception {
        SvidPolicy spireTtl = SvidPolicy.builder().maxLifetime(Duration.ofSeconds(300)).clockSkew(Duration.ofSeconds(30)).build();
        String ttlPlusOne = es256(claims(c -> {
            c.put("iat", NOW - 1);
            c.put("exp", NOW - 1 + 301);
        }));
        assertThat(verify(ttlPlusOne, spireTtl).spiffeId().toString()).isEqualTo(SUB);

        String ttlPlusTwo = es256(claims(c -> {
            c.put("iat", NOW - 1);
            c.put("exp", NOW - 1 + 302);
        }));
        assertRejected(ttlPlusTwo, spireTtl, Reason.LIFETIME_TOO_LONG, "SVID lifetime of 302 s exceeds the 300 s allowed");

        String noIatPlusOne = es256(claims(c -> {
            c.remove("iat");
            c.put("exp", NOW + 301);
        }));
        assertRejected(noIatPlusOne, spireTtl, Reason.LIFETIME_TOO_LONG, "SVID lifetime of 301 s exceeds the 300 s allowed");
    }

    // ---- step 8: algorithm, key and signature ----

    static Stream<Arguments> algorithms() {
        return Stream.of(
                arguments(JWSAlgorithm.ES256, EC256),
                arguments(JWSAlgorithm.ES384, EC384),
                arguments(JWSAlgorithm.ES512, EC521),
                arguments(JWSAlgorithm.RS256, RSA),
                arguments(JWSAlgorithm.RS384, RSA),
                arguments(JWSAlgorithm.RS512, RSA),
                arguments(JWSAlgorithm.PS256, RSA),
                arguments(JWSAlgorithm.PS384, RSA),
                arguments(JWSAlgorithm.PS512, RSA));
    }

    @ParameterizedTest
    @MethodSource("algorithms")
    void everySupportedAlgorithmVerifies(JWSAlgorithm alg, JWK key) throws Exception {
        VerifiedJwtSvid v = verify(token(key, alg, key.getKeyID(), claims()));
        assertThat(v.keyId()).isEqualTo(key.getKeyID());
        assertThat(v.svid().algorithm()).isEqualTo(alg.getName());
    }

    @ParameterizedTest
    @MethodSource("algorithms")
    void everySupportedAlgorithmRejectsAForeignKey(JWSAlgorithm alg, JWK key) {
        JWK other = key instanceof ECKey ? Jws.ec(((ECKey) key).getCurve(), key.getKeyID()) : RSA_IMPOSTOR;
        assertRejected(token(other, alg, key.getKeyID(), claims()), SvidPolicy.builder().build(),
                Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    @Test
    void algorithmOutsideTheClientAllowlistIsRejected() {
        SvidPolicy onlyEs384 = SvidPolicy.builder().algorithms(Set.of("ES384")).build();
        assertRejected(es256(claims()), onlyEs384, Reason.BAD_ALG,
                "SVID algorithm 'ES256' is not allowed for this client (svid.algorithms: ES384)");
    }

    @Test
    void algorithmAllowlistIsCheckedBeforeAnyKeyLookup() {
        AtomicInteger lookups = new AtomicInteger();
        KeyResolver counting = (kid, alg) -> {
            lookups.incrementAndGet();
            return KEYS.candidates(kid, alg);
        };
        assertRejected(es256(claims()), SvidPolicy.builder().algorithms(Set.of("RS256")).build(), counting,
                Reason.BAD_ALG, "is not allowed for this client");
        assertThat(lookups).hasValue(0);
    }

    @Test
    void unknownKidIsReportedByTheResolver() {
        assertRejected(token(EC256, JWSAlgorithm.ES256, "nobody", claims()), SvidPolicy.builder().build(),
                Reason.UNKNOWN_KID, "SVID key id 'nobody' is not published");
    }

    @Test
    void signatureByAnotherKeyWithTheSameKidIsRejected() {
        assertRejected(token(IMPOSTOR, JWSAlgorithm.ES256, "ec256", claims()), SvidPolicy.builder().build(),
                Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    @Test
    void payloadEditedAfterSigningIsRejected() {
        String[] parts = es256(claims()).split("\\.");
        String edited = claims(c -> c.put("sub", "spiffe://example.org/ns/apps/sa/admin")).toString();
        String forged = parts[0] + "." + Jws.b64(edited) + "." + parts[2];
        assertRejected(forged, SvidPolicy.builder().build(), Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    @Test
    void headerEditedAfterSigningIsRejected() {
        String[] parts = es256(claims()).split("\\.");
        String forged = Jws.b64("{\"alg\":\"ES256\",\"kid\":\"ec256\"}") + "." + parts[1] + "." + parts[2];
        assertRejected(forged, SvidPolicy.builder().build(), Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    @Test
    void truncatedOrGarbageSignatureIsRejected() {
        String good = es256(claims());
        assertRejected(good.substring(0, good.length() - 10), SvidPolicy.builder().build(), Reason.BAD_SIGNATURE, "SVID signature is invalid");
        String[] parts = good.split("\\.");
        assertRejected(parts[0] + "." + parts[1] + "." + Jws.b64(new byte[64]), SvidPolicy.builder().build(),
                Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    static Stream<Arguments> keyMismatches() {
        return Stream.of(
                arguments("RS256 token, EC key with that kid", RSA, JWSAlgorithm.RS256, "ec256", "cannot verify RS256 signatures"),
                arguments("PS256 token, EC key with that kid", RSA, JWSAlgorithm.PS256, "ec256", "cannot verify PS256 signatures"),
                arguments("ES256 token, RSA key with that kid", EC256, JWSAlgorithm.ES256, "rsa", "cannot verify ES256 signatures"),
                arguments("ES384 token, P-256 key with that kid", EC384, JWSAlgorithm.ES384, "ec256", "(key type, curve or alg differ)"),
                arguments("ES256 token, P-384 key with that kid", EC256, JWSAlgorithm.ES256, "ec384", "SVID key 'ec384' cannot verify ES256"),
                arguments("ES512 token, P-256 key with that kid", EC521, JWSAlgorithm.ES512, "ec256", "cannot verify ES512"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keyMismatches")
    void keyThatDoesNotFitTheAlgorithmIsRejected(String name, JWK signer, JWSAlgorithm alg, String kid, String messagePart) {
        assertRejected(token(signer, alg, kid, claims()), SvidPolicy.builder().build(), Reason.BAD_SIGNATURE, messagePart);
    }

    @Test
    void keyDeclaringAnotherAlgIsNotUsedForThisOne() throws Exception {
        RSAKey rs256Only = new RSAKey.Builder(RSA.toPublicJWK()).algorithm(JWSAlgorithm.RS256).build();
        KeyResolver keys = resolver(rs256Only);
        SvidPolicy policy = SvidPolicy.builder().build();
        assertThat(verifier.verify(ParsedJwtSvid.parse(token(RSA, JWSAlgorithm.RS256, "rsa", claims())), policy,
                SERVER_AUDIENCES, keys, ReplayGuard.NONE).keyId()).isEqualTo("rsa");
        assertRejected(token(RSA, JWSAlgorithm.PS256, "rsa", claims()), policy, keys, Reason.BAD_SIGNATURE,
                "cannot verify PS256 signatures");
    }

    @Test
    void withoutKidEachCompatibleKeyIsTried() throws Exception {
        AtomicInteger offered = new AtomicInteger();
        KeyResolver keys = (kid, alg) -> {
            List<VerificationKey> c = KEYS.candidates(kid, alg);
            offered.set(c.size());
            return c;
        };
        String token = token(EC256_B, JWSAlgorithm.ES256, null, claims());
        VerifiedJwtSvid v = verifier.verify(ParsedJwtSvid.parse(token), SvidPolicy.builder().build(), SERVER_AUDIENCES, keys,
                ReplayGuard.NONE);
        assertThat(offered).hasValue(2);
        assertThat(v.keyId()).isEqualTo("ec256-b");
        assertThat(v.notes()).containsEntry("svid.kid", "ec256-b");

        String rsaToken = token(RSA, JWSAlgorithm.PS384, null, claims());
        assertThat(verify(rsaToken).keyId()).isEqualTo("rsa");
    }

    @Test
    void withoutKidAndNoMatchingKeyTheSignatureIsInvalid() {
        assertRejected(token(IMPOSTOR, JWSAlgorithm.ES256, null, claims()), SvidPolicy.builder().build(),
                Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    @Test
    void keySourceFailureFromTheResolverPassesThrough() {
        KeyResolver down = (kid, alg) -> {
            throw new SvidRejectedException(Reason.KEY_SOURCE_UNAVAILABLE, "key source https://x is unavailable");
        };
        assertRejected(es256(claims()), SvidPolicy.builder().build(), down, Reason.KEY_SOURCE_UNAVAILABLE, "is unavailable");
    }

    @Test
    void checksRunInOrderIssuerAudienceTimeSignature() {
        // every check fails: the issuer is reported first, then audience, then time, then signature
        ObjectNode allBad = claims(c -> {
            c.put("iss", "https://evil");
            c.putArray("aud").add("https://evil");
            c.put("exp", NOW - 1000);
            c.put("iat", NOW - 2000);
        });
        String token = token(IMPOSTOR, JWSAlgorithm.ES256, "ec256", allBad);
        assertRejected(token, SvidPolicy.builder().issuer(ISSUER).build(), Reason.BAD_ISSUER, "does not match");
        assertRejected(token, SvidPolicy.builder().build(), Reason.BAD_AUDIENCE, "is not accepted here");
        ObjectNode audOk = allBad.deepCopy();
        audOk.putArray("aud").add(REALM);
        assertRejected(token(IMPOSTOR, JWSAlgorithm.ES256, "ec256", audOk), SvidPolicy.builder().build(), Reason.EXPIRED, "expired");
    }

    // ---- step 9: single use ----

    private VerifiedJwtSvid verifyOnce(String token, MemoryReplayGuard guard) throws SvidRejectedException {
        return verifier.verify(ParsedJwtSvid.parse(token), SvidPolicy.builder().singleUse(true).build(), SERVER_AUDIENCES,
                KEYS, guard);
    }

    private void assertReplayed(String token, MemoryReplayGuard guard) {
        assertThatThrownBy(() -> verifyOnce(token, guard))
                .isInstanceOf(SvidRejectedException.class)
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(Reason.REPLAYED))
                .hasMessageContaining("SVID was already used; this client accepts each SVID once (svid.single.use)");
    }

    @Test
    void singleUseRejectsTheSecondUseOfATokenWithoutJti() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        String token = es256(claims());
        verifyOnce(token, guard);
        assertReplayed(token, guard);
        // another SVID of the same workload is fine
        verifyOnce(es256(claims(c -> c.put("iat", NOW - 11))), guard);
        assertThat(guard.seen).hasSize(2);
    }

    @Test
    void singleUseKeysOnJtiWhenPresent() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        verifyOnce(es256(claims(c -> c.put("jti", "j-1"))), guard);
        // a different token (other iat) with the same jti is the same SVID
        assertReplayed(es256(claims(c -> {
            c.put("jti", "j-1");
            c.put("iat", NOW - 5);
        })), guard);
        verifyOnce(es256(claims(c -> c.put("jti", "j-2"))), guard);
        // the same jti from another workload is a different SVID
        verifyOnce(es256(claims(c -> {
            c.put("jti", "j-1");
            c.put("sub", "spiffe://example.org/ns/apps/sa/other");
        })), guard);
    }

    @Test
    void singleUseLifespanLastsUntilExpiryPlusSkew() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        verifyOnce(es256(claims(c -> c.put("exp", NOW + 100))), guard);
        assertThat(guard.seen.values()).containsExactly(130L);
    }

    @Test
    void replayGuardIsNotConsultedForReusableClientsNorForInvalidSignatures() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        String token = es256(claims(c -> c.put("jti", "j-1")));
        SvidPolicy reusable = SvidPolicy.builder().build();
        verifier.verify(ParsedJwtSvid.parse(token), reusable, SERVER_AUDIENCES, KEYS, guard);
        verifier.verify(ParsedJwtSvid.parse(token), reusable, SERVER_AUDIENCES, KEYS, guard);
        assertThat(guard.calls).hasValue(0);

        // a forged SVID must not burn the jti of the real one
        String forged = token(IMPOSTOR, JWSAlgorithm.ES256, "ec256", claims(c -> c.put("jti", "j-1")));
        assertThatThrownBy(() -> verifyOnce(forged, guard)).isInstanceOf(SvidRejectedException.class);
        assertThat(guard.calls).hasValue(0);
        verifyOnce(token, guard);
        assertReplayed(token, guard);
    }

    /**
     * The last base64url character of an ES256 signature carries 4 unused bits; decoders ignore
     * them, so flipping them yields another string with the same signature bytes.
     */
    @Test
    void singleUseCannotBeBypassedByReencodingTheSignature() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        String token = es256(claims());
        String reencoded = withAlternativeLastCharacter(token);
        assertThat(reencoded).isNotEqualTo(token);

        verifyOnce(token, guard);
        // A non-canonical spelling of the same signature never reaches the replay check: parsing refuses it.
        assertThatThrownBy(() -> ParsedJwtSvid.parse(reencoded))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
                .hasMessageContaining("not canonically base64url-encoded");
    }

    /** ECDSA signatures are malleable: (r, n - s) verifies whenever (r, s) does. */
    @Test
    void singleUseCannotBeBypassedByTheMalleableEcdsaSignature() throws Exception {
        MemoryReplayGuard guard = new MemoryReplayGuard();
        String token = es256(claims());
        String mirrored = withMirroredS(token);
        assertThat(mirrored).isNotEqualTo(token);
        assertThat(verify(mirrored)).isNotNull(); // still a valid signature

        verifyOnce(token, guard);
        assertReplayed(mirrored, guard);
    }

    private static String withAlternativeLastCharacter(String token) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = token.charAt(token.length() - 1);
        int v = alphabet.indexOf(last);
        return token.substring(0, token.length() - 1) + alphabet.charAt(v ^ 0x1);
    }

    private static String withMirroredS(String token) {
        int dot = token.lastIndexOf('.');
        byte[] sig = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        BigInteger n = Curve.P_256.toECParameterSpec().getOrder();
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
        byte[] mirrored = n.subtract(s).toByteArray();
        byte[] out = Arrays.copyOf(sig, 64);
        Arrays.fill(out, 32, 64, (byte) 0);
        int len = Math.min(32, mirrored.length);
        System.arraycopy(mirrored, mirrored.length - len, out, 64 - len, len);
        return token.substring(0, dot + 1) + Jws.b64(out);
    }
}
