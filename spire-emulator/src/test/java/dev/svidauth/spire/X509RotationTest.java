package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** SPIRE's X.509 CA rotation (prepare, activate, prune) by the emulator's clock and on demand. */
class X509RotationTest {

    static final String ID = "spiffe://example.org/w";
    static final Instant T0 = Instant.parse("2026-07-01T00:00:00Z");

    /**
     * Default ca_ttl 24 h: the next CA is prepared (and published) once 12 h have passed, signs
     * once 20 h have passed; the old CA stays published until a day after it expired.
     */
    @Test
    void rotatesOnSpiresScheduleByTheClock() throws Exception {
        MutableClock clock = new MutableClock(T0);
        try (SpireEmulator spire = SpireEmulator.builder().clock(clock).x509Authority(true).start()) {
            X509Certificate ca0 = spire.x509Authority().certificate();
            long seq0 = spire.bundleSequence();

            clock.set(T0.plus(Duration.ofHours(12)));
            assertThat(spire.nextX509Authority()).as("at the threshold, not after it").isEmpty();
            assertThat(spire.x509Authorities()).containsExactly(ca0);

            clock.set(T0.plus(Duration.ofHours(12)).plusSeconds(1));
            X509Certificate ca1 = spire.nextX509Authority().orElseThrow().certificate();
            assertThat(spire.x509Authorities()).containsExactly(ca0, ca1);
            assertThat(bundleAuthorities(spire)).containsExactly(ca0, ca1);
            assertThat(spire.bundleSequence()).isEqualTo(seq0 + 1);
            assertThat(issuerOf(spire, spire.mintX509Svid(ID))).as("the current CA keeps signing").isEqualTo(ca0);
            assertThat(ca1.getNotAfter().toInstant()).isEqualTo(T0.plus(Duration.ofHours(36)).plusSeconds(1));

            clock.set(T0.plus(Duration.ofHours(20)).plusSeconds(1));
            X509Svid svid = spire.mintX509Svid(ID);
            assertThat(issuerOf(spire, svid)).isEqualTo(ca1);
            assertThat(spire.x509Authority().certificate()).isEqualTo(ca1);
            assertThat(spire.nextX509Authority()).isEmpty();
            assertThat(spire.x509Authorities()).as("the old CA stays published").containsExactly(ca0, ca1);
            assertThat(spire.bundleSequence()).as("activation leaves the bundle untouched").isEqualTo(seq0 + 1);
            assertThat(Certs.pkixFailure(svid.chain(), bundleAuthorities(spire), clock.instant())).isNull();

            // ca1 was prepared at 12 h: its own successor is prepared after 24 h (12 h into its 24 h)
            clock.set(T0.plus(Duration.ofHours(24)).plusSeconds(2));
            X509Certificate ca2 = spire.nextX509Authority().orElseThrow().certificate();
            assertThat(spire.x509Authorities()).containsExactly(ca0, ca1, ca2);

            clock.set(T0.plus(Duration.ofHours(48)));
            assertThat(spire.x509Authorities()).as("ca0 expired at 24 h, pruned a day later")
                    .doesNotContain(ca0).contains(ca1, ca2);
        }
    }

    @Test
    void thresholdsAreCappedForLongLivedCas() {
        MutableClock clock = new MutableClock(T0);
        try (SpireEmulator spire = SpireEmulator.builder().clock(clock).caTtl(Duration.ofDays(90)).start()) {
            clock.set(T0.plus(Duration.ofDays(60)));
            assertThat(spire.nextX509Authority()).as("prepared 30 days (the cap) before expiry, not 45").isEmpty();
            clock.set(T0.plus(Duration.ofDays(60)).plusSeconds(1));
            assertThat(spire.nextX509Authority()).isPresent();
            X509Certificate ca0 = spire.x509Authority().certificate();
            clock.set(T0.plus(Duration.ofDays(83)));
            assertThat(spire.x509Authority().certificate()).as("activated 7 days (the cap) before expiry").isEqualTo(ca0);
            clock.set(T0.plus(Duration.ofDays(83)).plusSeconds(1));
            assertThat(spire.x509Authority().certificate()).isNotEqualTo(ca0);
        }
    }

    @Test
    void explicitRotation() throws Exception {
        MutableClock clock = new MutableClock(T0);
        try (SpireEmulator spire = SpireEmulator.builder().clock(clock).x509Authority(true).x509AutoRotation(false).start()) {
            X509Certificate ca0 = spire.x509Authority().certificate();
            long seq0 = spire.bundleSequence();

            assertThatThrownBy(spire::activateNextX509Authority).isInstanceOf(IllegalStateException.class);

            spire.rotateX509Authority();
            X509Certificate ca1 = spire.x509Authority().certificate();
            assertThat(ca1).isNotEqualTo(ca0);
            assertThat(issuerOf(spire, spire.mintX509Svid(ID))).isEqualTo(ca1);
            assertThat(bundleAuthorities(spire)).containsExactly(ca0, ca1);
            assertThat(spire.bundleSequence()).isEqualTo(seq0 + 1);

            spire.prepareX509Rotation();
            X509Certificate dropped = spire.nextX509Authority().orElseThrow().certificate();
            spire.prepareX509Rotation();
            X509Certificate ca2 = spire.nextX509Authority().orElseThrow().certificate();
            assertThat(spire.x509Authorities()).as("a CA prepared and never activated stays published")
                    .containsExactly(ca0, ca1, dropped, ca2);

            clock.set(T0.plus(Duration.ofDays(30)));
            assertThat(spire.x509Authorities()).as("no automatic rotation or pruning").hasSize(4);
            assertThat(spire.pruneBundle()).isTrue();
            assertThat(spire.x509Authorities()).as("the current and the next CA are kept").containsExactly(ca1, ca2);
            assertThat(bundleAuthorities(spire)).containsExactly(ca1, ca2);
        }
    }

    @Test
    void upstreamRotationKeepsTheBundle() {
        try (SpireEmulator spire = SpireEmulator.builder().x509UpstreamAuthority(true).x509Authority(true).start()) {
            List<X509Certificate> roots = spire.x509Authorities();
            long seq = spire.bundleSequence();
            X509Certificate before = spire.x509Authority().certificate();

            spire.rotateX509Authority();

            X509Svid svid = spire.mintX509Svid(ID);
            assertThat(svid.chain().get(1)).isNotEqualTo(before).isEqualTo(spire.x509Authority().certificate());
            assertThat(spire.x509Authorities()).isEqualTo(roots);
            assertThat(spire.bundleSequence()).isEqualTo(seq);
            assertThat(Certs.pkixFailure(svid.chain(), roots, Instant.now())).isNull();
        }
    }

    @Test
    void withoutPublicationTheBundleSequenceIgnoresX509() {
        try (SpireEmulator spire = SpireEmulator.builder().start()) {
            long seq = spire.bundleSequence();
            spire.rotateX509Authority();
            assertThat(spire.bundleSequence()).isEqualTo(seq);
            assertThat(spire.x509Authorities()).hasSize(2);
        }
    }

    /** The published authority whose key signed the leaf. */
    static X509Certificate issuerOf(SpireEmulator spire, X509Svid svid) {
        return spire.x509Authorities().stream().filter(ca -> {
            try {
                svid.leaf().verify(ca.getPublicKey());
                return true;
            } catch (java.security.GeneralSecurityException e) {
                return false;
            }
        }).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    static List<X509Certificate> bundleAuthorities(SpireEmulator spire) {
        List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(Http.get(spire.bundleUrl())).get("keys");
        return keys.stream().filter(k -> "x509-svid".equals(k.get("use")))
                .map(k -> GoX509.parse(Base64.getDecoder().decode(((List<String>) k.get("x5c")).get(0))))
                .toList();
    }
}
