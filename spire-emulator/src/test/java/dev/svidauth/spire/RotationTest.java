package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SPIRE's prepare / activate / prune cycle as seen from /keys, /bundle and minted SVIDs. */
class RotationTest {

    static final String ID = "spiffe://example.org/w";

    SpireEmulator spire;

    @BeforeEach
    void start() {
        spire = SpireEmulator.builder().start();
    }

    @AfterEach
    void stop() {
        spire.close();
    }

    @Test
    void prepareActivateDrop() throws Exception {
        String oldKid = spire.signingKey().getKeyID();
        long seq0 = bundleSequence();
        assertThat(seq0).isEqualTo(spire.bundleSequence());

        spire.prepareRotation();
        String newKid = spire.nextKey().orElseThrow().getKeyID();
        assertThat(newKid).matches("[a-zA-Z0-9]{32}").isNotEqualTo(oldKid);
        assertThat(publishedKids()).containsExactly(oldKid, newKid);
        assertThat(bundleKids()).containsExactly(oldKid, newKid);
        assertThat(kidOf(spire.mint(ID, List.of("a")))).isEqualTo(oldKid);
        long seq1 = bundleSequence();
        assertThat(seq1).isGreaterThan(seq0);

        spire.activateNextKey();
        String svid = spire.mint(ID, List.of("a"));
        assertThat(kidOf(svid)).isEqualTo(newKid);
        assertThat(spire.signingKey().getKeyID()).isEqualTo(newKid);
        assertThat(spire.nextKey()).isEmpty();
        assertThat(publishedKids()).containsExactly(oldKid, newKid);
        assertThat(bundleSequence()).as("activation leaves the bundle untouched").isEqualTo(seq1);
        JWK published = JWKSet.parse(Http.get(spire.jwksUrl()).body()).getKeyByKeyId(newKid);
        assertThat(SignedJWT.parse(svid).verify(new ECDSAVerifier(published.toECKey()))).isTrue();

        spire.dropRetiredKeys();
        assertThat(publishedKids()).containsExactly(newKid);
        assertThat(bundleKids()).containsExactly(newKid);
        assertThat(bundleSequence()).isGreaterThan(seq1);
        assertThat(kidOf(spire.mint(ID, List.of("a")))).isEqualTo(newKid);
    }

    @Test
    void rotateIsPrepareAndActivateInOneStep() throws Exception {
        String oldKid = spire.signingKey().getKeyID();
        long seq0 = bundleSequence();

        spire.rotate();

        String newKid = spire.signingKey().getKeyID();
        assertThat(newKid).isNotEqualTo(oldKid);
        assertThat(kidOf(spire.mint(ID, List.of("a")))).isEqualTo(newKid);
        assertThat(publishedKids()).containsExactly(oldKid, newKid);
        assertThat(bundleSequence()).isEqualTo(seq0 + 1);
        assertThat(spire.publishedKeys()).extracting(JWK::getKeyID).containsExactly(oldKid, newKid);
    }

    @Test
    void dropNeverRemovesTheSigningOrPreparedKey() throws Exception {
        spire.prepareRotation();
        long seq = bundleSequence();

        spire.dropRetiredKeys();

        assertThat(publishedKids()).hasSize(2);
        assertThat(bundleSequence()).as("nothing changed").isEqualTo(seq);
    }

    /**
     * SPIRE's schedule with the default ca_ttl of 24 h: prepare at 12 h, activate at 20 h, the old
     * key expires at 24 h and is pruned from the bundle 24 h after that (48 h), not before.
     */
    @Test
    void pruneBundleUnpublishesAKeyADayAfterItExpired() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-07-01T00:00:00Z"));
        try (SpireEmulator timed = SpireEmulator.builder().clock(clock).start()) {
            String oldKid = timed.signingKey().getKeyID();
            Instant oldNotAfter = timed.signingKeyNotAfter();
            assertThat(oldNotAfter).isEqualTo(Instant.parse("2026-07-02T00:00:00Z"));

            clock.set(Instant.parse("2026-07-01T12:00:00Z"));
            timed.prepareRotation();
            clock.set(Instant.parse("2026-07-01T20:00:00Z"));
            timed.activateNextKey();
            String newKid = timed.signingKey().getKeyID();
            assertThat(timed.signingKeyNotAfter()).isEqualTo(Instant.parse("2026-07-02T12:00:00Z"));

            clock.set(oldNotAfter.plus(Duration.ofHours(24)).minusSeconds(1));
            long seq = timed.bundleSequence();
            assertThat(timed.pruneBundle()).as("expired less than a day ago: kept").isFalse();
            assertThat(timed.publishedKeys()).extracting(JWK::getKeyID).containsExactly(oldKid, newKid);
            assertThat(timed.bundleSequence()).isEqualTo(seq);

            clock.set(oldNotAfter.plus(Duration.ofHours(24)));
            assertThat(timed.pruneBundle()).isTrue();
            assertThat(timed.publishedKeys()).extracting(JWK::getKeyID).containsExactly(newKid);
            assertThat(timed.bundleSequence()).isEqualTo(seq + 1);

            // the signing key stays published even past its own expiry and threshold
            clock.set(Instant.parse("2026-07-10T00:00:00Z"));
            assertThat(timed.pruneBundle()).isFalse();
            assertThat(timed.publishedKeys()).extracting(JWK::getKeyID).containsExactly(newKid);
        }
    }

    @Test
    void activateWithoutPrepareIsAnError() {
        assertThatThrownBy(spire::activateNextKey).isInstanceOf(IllegalStateException.class);
    }

    private long bundleSequence() {
        return ((Number) Http.json(Http.get(spire.bundleUrl())).get("spiffe_sequence")).longValue();
    }

    private List<String> publishedKids() throws Exception {
        return JWKSet.parse(Http.get(spire.jwksUrl()).body()).getKeys().stream().map(JWK::getKeyID).toList();
    }

    @SuppressWarnings("unchecked")
    private List<String> bundleKids() {
        List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(Http.get(spire.bundleUrl())).get("keys");
        return keys.stream().map(k -> (String) k.get("kid")).toList();
    }

    private static String kidOf(String svid) throws Exception {
        return SignedJWT.parse(svid).getHeader().getKeyID();
    }
}
