package dev.svidauth.spire;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** WIT-SVIDs as the SPIFFE WIT-SVID profile describes them, their bundle keys and their proofs of possession. */
class WitSvidTest {

    static final String ID = "spiffe://example.org/ns/apps/sa/payments";
    static final String AS = "http://127.0.0.1:8080/realms/svid";

    static SpireEmulator spire;

    @BeforeAll
    static void start() {
        spire = SpireEmulator.builder().witSvids(true).x509Authority(true).start();
    }

    @AfterAll
    static void stop() {
        spire.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> bundleKeys() {
        return (List<Map<String, Object>>) Http.json(Http.get(spire.bundleUrl())).get("keys");
    }

    @Test
    void witSvidFollowsTheProfile() throws Exception {
        WitSvid wit = spire.mintWitSvid(ID);
        JWSObject jws = JWSObject.parse(wit.token());

        assertThat(jws.getHeader().toJSONObject()).containsOnlyKeys("alg", "kid", "typ").containsEntry("typ", "wit+jwt")
                .containsEntry("kid", spire.witSigningKey().getKeyID());
        Map<String, Object> claims = jws.getPayload().toJSONObject();
        assertThat(claims).containsOnlyKeys("cnf", "exp", "iat", "jti", "sub").containsEntry("sub", ID);
        assertThat(((Number) claims.get("exp")).longValue() - ((Number) claims.get("iat")).longValue()).isEqualTo(3600);
        @SuppressWarnings("unchecked")
        Map<String, Object> cnfJwk = (Map<String, Object>) ((Map<String, Object>) claims.get("cnf")).get("jwk");
        assertThat(cnfJwk).containsEntry("alg", "ES256").doesNotContainKey("d");
        assertThat(JWK.parse(cnfJwk).computeThumbprint()).isEqualTo(wit.workloadKey().computeThumbprint());
        assertThat(jws.verify(new ECDSAVerifier(((ECKey) spire.witSigningKey()).toECPublicKey()))).isTrue();
    }

    @Test
    void witKeysArePublishedApartFromJwtKeys() {
        List<Map<String, Object>> keys = bundleKeys();
        assertThat(keys).extracting(k -> k.get("use")).containsExactly("x509-svid", "jwt-svid", "wit-svid");
        String witKid = (String) keys.get(2).get("kid");
        assertThat(witKid).isEqualTo(spire.witSigningKey().getKeyID()).isNotEqualTo(spire.signingKey().getKeyID());
        assertThat(Http.json(Http.get(spire.jwksUrl())).toString()).doesNotContain(witKid);
    }

    @Test
    @SuppressWarnings("unchecked")
    void witKeysRotateLikeJwtKeys() {
        try (SpireEmulator rotating = SpireEmulator.builder().witSvids(true).start()) {
            long sequence = rotating.bundleSequence();
            String before = rotating.witSigningKey().getKeyID();
            rotating.rotateWitKeys();

            assertThat(rotating.witSigningKey().getKeyID()).isNotEqualTo(before);
            assertThat(rotating.publishedWitKeys()).extracting(JWK::getKeyID).containsExactly(before, rotating.witSigningKey().getKeyID());
            assertThat(rotating.bundleSequence()).isGreaterThan(sequence);
            List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(Http.get(rotating.bundleUrl())).get("keys");
            assertThat(keys.stream().filter(k -> "wit-svid".equals(k.get("use")))).hasSize(2);
        }
    }

    @Test
    void popIsSignedByTheWorkloadKey() throws Exception {
        WitSvid wit = spire.mintWitSvid(ID);
        JWSObject pop = JWSObject.parse(wit.pop(AS));

        assertThat(pop.getHeader().toJSONObject()).containsOnlyKeys("alg", "typ").containsEntry("typ", "oauth-client-attestation-pop+jwt");
        assertThat(pop.getPayload().toJSONObject()).containsOnlyKeys("aud", "iat", "jti").containsEntry("aud", AS);
        assertThat(((Number) pop.getPayload().toJSONObject().get("iat")).longValue())
                .isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(5L));
        assertThat(pop.verify(new ECDSAVerifier(((ECKey) wit.workloadKey()).toECPublicKey()))).isTrue();
        assertThat(wit.pop(AS)).as("a new jti each time").isNotEqualTo(wit.pop(AS));
    }

    @Test
    void anEmulatorWithoutWitSvidsPublishesNoWitKeys() {
        try (SpireEmulator plain = SpireEmulator.builder().start()) {
            assertThatThrownBy(() -> plain.mintWitSvid(ID)).isInstanceOf(IllegalStateException.class);
            assertThat(Http.get(plain.bundleUrl()).body()).doesNotContain("wit-svid");
        }
    }
}
