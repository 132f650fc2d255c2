package dev.svidauth.svid;

import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spire.MutableClock;
import dev.svidauth.svid.TestCertificates.Issued;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static dev.svidauth.svid.X509SvidVerifierTest.ID;
import static dev.svidauth.svid.X509SvidVerifierTest.INTERMEDIATE;
import static dev.svidauth.svid.X509SvidVerifierTest.NOW;
import static dev.svidauth.svid.X509SvidVerifierTest.OTHER_ROOT;
import static dev.svidauth.svid.X509SvidVerifierTest.ROOT;
import static dev.svidauth.svid.X509SvidVerifierTest.SKEW;
import static dev.svidauth.svid.X509SvidVerifierTest.chain;
import static dev.svidauth.svid.X509SvidVerifierTest.trusting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifiedChainCacheTest {

    private final MutableClock clock = new MutableClock(NOW);
    private final VerifiedChainCache cache = new VerifiedChainCache(100);
    private final X509SvidVerifier verifier = new X509SvidVerifier(clock, cache);

    /** The same certificate, decoded again: what every new TLS connection or forwarded header gives. */
    private static X509Certificate decodedAgain(X509Certificate c) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(c.getEncoded()));
    }

    @Test
    void aChainIsRememberedByItsBytesAndOnlyWithTheAuthorityItVerifiedUpTo() throws Exception {
        Issued leaf = TestCertificates.leaf(ROOT, ID, NOW);
        verifier.verify(chain(leaf), SKEW, trusting(ROOT));
        assertThat(cache.size()).isEqualTo(1);

        ByteBuffer again = cache.key(List.of(decodedAgain(leaf.cert())));
        long now = NOW.toEpochMilli();
        assertThat(cache.verified(again, List.of(ROOT.cert()), now)).as("the same bytes, another object").isTrue();
        assertThat(cache.verified(again, List.of(OTHER_ROOT.cert()), now)).as("its authority is no longer published").isFalse();
        assertThat(cache.verified(cache.key(chain(TestCertificates.leaf(ROOT, ID, NOW))), List.of(ROOT.cert()), now))
                .as("another leaf").isFalse();
        assertThat(cache.verified(cache.key(List.of(leaf.cert(), INTERMEDIATE.cert())), List.of(ROOT.cert()), now))
                .as("the same leaf with another chain").isFalse();
    }

    @Test
    void aRememberedChainIsStillRefusedOnceItsAuthorityIsWithdrawn() throws Exception {
        Issued leaf = TestCertificates.leaf(ROOT, ID, NOW);
        verifier.verify(chain(leaf), SKEW, trusting(ROOT));

        assertThatThrownBy(() -> verifier.verify(List.of(decodedAgain(leaf.cert())), SKEW, trusting(OTHER_ROOT)))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE));
    }

    @Test
    void aRememberedChainIsStillCheckedForItsValidity() throws Exception {
        Issued leaf = TestCertificates.leaf(ROOT, ID, NOW); // valid for an hour
        verifier.verify(chain(leaf), SKEW, trusting(ROOT));
        clock.advance(Duration.ofMinutes(90));

        assertThatThrownBy(() -> verifier.verify(chain(leaf), SKEW, trusting(ROOT)))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_EXPIRED));
        assertThat(cache.verified(cache.key(chain(leaf)), List.of(ROOT.cert()), clock.millis())).as("entry ended with the leaf").isFalse();
    }

    @Test
    void onlyChainsThatVerifiedAreRemembered() {
        Issued foreign = TestCertificates.leaf(OTHER_ROOT, ID, NOW);
        assertThatThrownBy(() -> verifier.verify(chain(foreign), SKEW, trusting(ROOT))).isInstanceOf(SvidRejectedException.class);
        assertThat(cache.size()).isZero();
    }

    @Test
    void theCacheIsBoundedAndCanBeOff() throws Exception {
        VerifiedChainCache two = new VerifiedChainCache(2);
        X509SvidVerifier bounded = new X509SvidVerifier(clock, two);
        for (int i = 0; i < 5; i++) {
            bounded.verify(chain(TestCertificates.leaf(ROOT, ID, NOW)), SKEW, trusting(ROOT));
            assertThat(two.size()).isLessThanOrEqualTo(2);
        }
        assertThat(VerifiedChainCache.DISABLED.key(chain(TestCertificates.leaf(ROOT, ID, NOW)))).isNull();
        X509SvidVerifier uncached = new X509SvidVerifier(clock);
        assertThat(uncached.verify(chain(TestCertificates.leaf(ROOT, ID, NOW)), SKEW, trusting(ROOT)).spiffeId()).hasToString(ID);
    }
}
