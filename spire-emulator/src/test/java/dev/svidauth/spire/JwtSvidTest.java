package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JWT-SVIDs as SPIRE Server mints them. */
class JwtSvidTest {

    static final String ID = "spiffe://example.org/ns/apps/sa/payments";
    static final String AUD = "http://127.0.0.1:8080/realms/svid";

    static SpireEmulator spire;

    @BeforeAll
    static void start() {
        spire = SpireEmulator.builder().issuer(SpireEmulator.SELF).start();
    }

    @AfterAll
    static void stop() {
        spire.close();
    }

    @Test
    void headerIsExactlyAlgKidTyp() {
        String svid = spire.mint(ID, List.of(AUD));

        String header = new String(Base64URL.from(svid.split("\\.")[0]).decode(), StandardCharsets.UTF_8);
        String kid = spire.signingKey().getKeyID();
        assertThat(kid).matches("[a-zA-Z0-9]{32}");
        assertThat(header).isEqualTo("{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}");
    }

    @Test
    void verifiesAgainstThePublishedJwksFetchedOverHttp() throws Exception {
        SignedJWT jwt = SignedJWT.parse(spire.mint(ID, List.of(AUD)));
        JWKSet published = JWKSet.parse(Http.get(spire.jwksUrl()).body());

        JWK key = published.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(key).isNotNull();
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.verify(new ECDSAVerifier(key.toECKey()))).isTrue();

        // and against the bundle endpoint form
        JWKSet bundle = JWKSet.parse(Http.get(spire.bundleUrl()).body());
        assertThat(jwt.verify(new ECDSAVerifier(bundle.getKeyByKeyId(key.getKeyID()).toECKey()))).isTrue();
    }

    @Test
    void claimsAreSortedAndAudIsAlwaysAnArray() throws Exception {
        Instant iat = Instant.parse("2030-01-02T03:04:05.678Z");
        String svid = spire.svid(ID).audience(AUD).issuedAt(iat).mint();

        String payload = new String(Base64URL.from(svid.split("\\.")[1]).decode(), StandardCharsets.UTF_8);
        long t = iat.getEpochSecond();
        assertThat(payload).isEqualTo("{\"aud\":[\"" + AUD + "\"],\"exp\":" + (t + 300) + ",\"iat\":" + t
                + ",\"iss\":\"" + spire.issuer() + "\",\"sub\":\"" + ID + "\"}");
        Map<String, Object> claims = SignedJWT.parse(svid).getPayload().toJSONObject();
        assertThat(claims.get("aud")).isInstanceOf(List.class);
        assertThat(claims).containsOnlyKeys("aud", "exp", "iat", "iss", "sub");
    }

    @Test
    void defaultTtlIsFiveMinutesAndOverridable() throws Exception {
        var claims = SignedJWT.parse(spire.mint(ID, List.of(AUD))).getJWTClaimsSet();
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofMinutes(5));

        var hour = SignedJWT.parse(spire.svid(ID).audience(AUD).ttl(Duration.ofMinutes(60)).mint()).getJWTClaimsSet();
        assertThat(Duration.between(hour.getIssueTime().toInstant(), hour.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofHours(1));

        Instant exp = Instant.parse("2020-01-01T00:00:00Z");
        var expired = SignedJWT.parse(spire.svid(ID).audience(AUD).expiresAt(exp).mint()).getJWTClaimsSet();
        assertThat(expired.getExpirationTime().toInstant()).isEqualTo(exp);
    }

    @Test
    void noIssuerByDefaultAsInSpire() throws Exception {
        try (SpireEmulator defaults = SpireEmulator.builder().start()) {
            assertThat(defaults.issuer()).isNull();
            String svid = defaults.mint(ID, List.of(AUD));
            assertThat(SignedJWT.parse(svid).getPayload().toJSONObject()).containsOnlyKeys("aud", "exp", "iat", "sub");
        }
    }

    @Test
    void issAbsentWhenNoIssuerConfigured() throws Exception {
        try (SpireEmulator noIssuer = SpireEmulator.builder().issuer(null).start()) {
            var claims = SignedJWT.parse(noIssuer.mint(ID, List.of(AUD))).getJWTClaimsSet();
            assertThat(claims.getIssuer()).isNull();
            assertThat(claims.getClaims()).doesNotContainKey("iss");
        }
    }

    @Test
    void issIsTheConfiguredString() throws Exception {
        try (SpireEmulator pinned = SpireEmulator.builder().issuer("https://oidc.example.org").start()) {
            assertThat(SignedJWT.parse(pinned.mint(ID, List.of(AUD))).getJWTClaimsSet().getIssuer())
                    .isEqualTo("https://oidc.example.org");
        }
    }

    @Test
    void jtiOnlyWhenAskedAndExtraClaimsLikeACredentialComposer() throws Exception {
        var plain = SignedJWT.parse(spire.mint(ID, List.of(AUD))).getJWTClaimsSet();
        assertThat(plain.getJWTID()).isNull();

        String svid = spire.svid("spiffe://example.org/w").audience("a", "b").withJti()
                .claim("client_type", "ai-agent")
                .claim("groups", List.of("x", "y"))
                .claim("ctx", Map.of("z", 1, "a", true))
                .mint();
        var claims = SignedJWT.parse(svid).getJWTClaimsSet();
        assertThat(claims.getJWTID()).isNotBlank();
        // SPIRE 1.15.2+: base64url (no padding) of a version-4 UUID's 16 bytes
        assertThat(claims.getJWTID()).matches("[A-Za-z0-9_-]{22}");
        byte[] uuid = Base64URL.from(claims.getJWTID()).decode();
        assertThat(uuid).hasSize(16);
        assertThat(uuid[6] & 0xF0).as("UUID version").isEqualTo(0x40);
        assertThat(uuid[8] & 0xC0).as("UUID variant").isEqualTo(0x80);
        String again = SignedJWT.parse(spire.svid(ID).audience(AUD).withJti().mint()).getJWTClaimsSet().getJWTID();
        assertThat(again).matches("[A-Za-z0-9_-]{22}").isNotEqualTo(claims.getJWTID());
        assertThat(claims.getAudience()).containsExactly("a", "b");
        assertThat(claims.getStringClaim("client_type")).isEqualTo("ai-agent");
        assertThat(claims.getStringListClaim("groups")).containsExactly("x", "y");
        String payload = new String(Base64URL.from(svid.split("\\.")[1]).decode(), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"client_type\":\"ai-agent\",\"ctx\":{\"a\":true,\"z\":1},\"exp\":");
    }

    @Test
    void expIsCappedAtTheSigningKeysExpiry() throws Exception {
        Instant now = Instant.parse("2026-07-01T12:00:00Z");
        try (SpireEmulator shortCa = SpireEmulator.builder().caTtl(Duration.ofMinutes(30))
                .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC)).start()) {
            assertThat(shortCa.signingKeyNotAfter()).isEqualTo(now.plus(Duration.ofMinutes(30)));

            var within = SignedJWT.parse(shortCa.mint(ID, List.of(AUD))).getJWTClaimsSet();
            assertThat(within.getExpirationTime().toInstant()).isEqualTo(now.plus(Duration.ofMinutes(5)));

            var capped = SignedJWT.parse(shortCa.svid(ID).audience(AUD).ttl(Duration.ofHours(2)).mint()).getJWTClaimsSet();
            assertThat(capped.getIssueTime().toInstant()).isEqualTo(now);
            assertThat(capped.getExpirationTime().toInstant()).isEqualTo(now.plus(Duration.ofMinutes(30)));
        }
        // default ca_ttl: 24 h
        assertThat(Duration.between(Instant.now(), spire.signingKeyNotAfter())).isBetween(Duration.ofHours(23), Duration.ofHours(24));
    }

    @Test
    void composerMayReplaceOrRemoveStandardClaims() throws Exception {
        String svid = spire.svid(ID).audience(AUD).claim("aud", AUD).claim("iss", null).mint();
        Map<String, Object> claims = SignedJWT.parse(svid).getPayload().toJSONObject();
        assertThat(claims.get("aud")).isEqualTo(AUD);
        assertThat(claims).doesNotContainKey("iss");
    }

    @Test
    void rsaKeyTypeSignsRs256() throws Exception {
        try (SpireEmulator rsa = SpireEmulator.builder().keyType(KeyType.RSA_2048).start()) {
            SignedJWT jwt = SignedJWT.parse(rsa.mint(ID, List.of(AUD)));
            String header = new String(jwt.getHeader().toBase64URL().decode(), StandardCharsets.UTF_8);
            assertThat(header).isEqualTo("{\"alg\":\"RS256\",\"kid\":\"" + rsa.signingKey().getKeyID() + "\",\"typ\":\"JWT\"}");
            RSAKey published = JWKSet.parse(Http.get(rsa.jwksUrl()).body()).getKeys().get(0).toRSAKey();
            assertThat(published.size()).isEqualTo(2048);
            assertThat(jwt.verify(new RSASSAVerifier(published))).isTrue();
        }
    }

    @Test
    void emptyAudienceValuesAreDroppedAndNoneLeftIsRefused() throws Exception {
        var claims = SignedJWT.parse(spire.svid(ID).audience("", AUD).mint()).getJWTClaimsSet();
        assertThat(claims.getAudience()).containsExactly(AUD);

        assertThatThrownBy(() -> spire.svid(ID).audience("").mint())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audience");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "spiffe://other.org/w", "spiffe://example.org", "spiffe://example.org/", "spiffe://example.org/a//b",
        "spiffe://example.org/a/../b", "spiffe://Example.org/w", "https://example.org/w", "spiffe://example.org/a%20b"
    })
    void refusesWhatSpireRefusesToMint(String id) {
        assertThatThrownBy(() -> spire.mint(id, List.of(AUD)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid JWT-SVID ID");
    }

    @Test
    void uncheckedMintsHostileTokensWithTheRealKey() throws Exception {
        SignedJWT jwt = SignedJWT.parse(spire.svid("spiffe://evil.org/w").unchecked().mint());
        assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("spiffe://evil.org/w");
        assertThat(jwt.getJWTClaimsSet().getAudience()).isEmpty();
        JWSVerifier verifier = new ECDSAVerifier(((ECKey) spire.signingKey()).toPublicJWK());
        assertThat(jwt.verify(verifier)).isTrue();
    }

    @Test
    void signingKeyHasThePrivatePart() {
        JWK key = spire.signingKey();
        assertThat(key.isPrivate()).isTrue();
        assertThat(key.getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(spire.publishedKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
    }

    @Test
    void goEscapingOfStrings() {
        assertThat(GoJson.marshal(Map.of("k", "a<b>&\"\\\n\u0001\u2028é")))
                .isEqualTo("{\"k\":\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u0001\\u2028é\"}");
        assertThat(GoJson.marshal(List.of(1.0, 1.5, 10L))).isEqualTo("[1,1.5,10]");
        assertThat(GoJson.marshalIndent(Map.of("a", List.of()), "  ")).isEqualTo("{\n  \"a\": []\n}");
    }
}
