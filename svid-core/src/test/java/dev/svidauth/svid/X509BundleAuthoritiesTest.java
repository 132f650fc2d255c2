package dev.svidauth.svid;

import dev.svidauth.keys.KeySourceSettings;
import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySet;
import dev.svidauth.keys.KeySetParser;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.spire.MutableClock;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.svid.TestCertificates.Issued;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** X.509 authorities read from a SPIFFE bundle, served through the key-source cache. */
class X509BundleAuthoritiesTest {

    static final URI BUNDLE = URI.create("https://bundle.example.org/");
    static final Instant NOW = X509SvidVerifierTest.NOW;
    static final Issued ROOT = X509SvidVerifierTest.ROOT;
    static final String ID = X509SvidVerifierTest.ID;

    static final class Fetcher implements KeyFetcher {
        final AtomicInteger calls = new AtomicInteger();
        volatile String body;
        volatile boolean failing;

        @Override
        public FetchedDocument fetch(URI uri) throws KeySourceException {
            calls.incrementAndGet();
            if (failing) {
                throw new KeySourceException("key source " + uri + " answered HTTP 503");
            }
            return new FetchedDocument(body.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    static String bundle(X509Certificate... authorities) {
        StringBuilder sb = new StringBuilder("{\"spiffe_sequence\":3,\"spiffe_refresh_hint\":300,\"keys\":[");
        for (int i = 0; i < authorities.length; i++) {
            sb.append(i > 0 ? "," : "").append(TestCertificates.bundleEntry(authorities[i]));
        }
        return sb.append("]}").toString();
    }

    private final MutableClock clock = new MutableClock(NOW);
    private final KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);
    private final Fetcher fetcher = new Fetcher();
    private final X509SvidVerifier verifier = new X509SvidVerifier(clock);

    private BundleX509AuthoritySource source(String trustDomain) {
        return new BundleX509AuthoritySource(cache, fetcher, BUNDLE, trustDomain, url -> { });
    }

    @Test
    void parsesX509AuthoritiesOfABundleAndNotOfAJwks() throws Exception {
        KeySet set = KeySetParser.parse(BUNDLE, bundle(ROOT.cert()).getBytes(StandardCharsets.UTF_8));
        assertThat(set.x509Authorities()).containsExactly(ROOT.cert());
        assertThat(set.keys()).isEmpty();
        String jwks = "{\"keys\":[" + TestCertificates.bundleEntry(ROOT.cert()) + "]}";
        assertThatThrownBy(() -> KeySetParser.parse(BUNDLE, jwks.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(KeySourceException.class).hasMessageContaining("published no usable signing key");
    }

    @Test
    void skipsAnUnreadableAuthorityAndKeepsTheOthers() throws Exception {
        String body = "{\"spiffe_sequence\":1,\"keys\":[" + TestCertificates.bundleEntry(ROOT.cert())
                + ",{\"use\":\"x509-svid\",\"x5c\":[\"bm90IGEgY2VydA==\"]},{\"use\":\"x509-svid\",\"x5c\":[]}]}";
        KeySet set = KeySetParser.parse(BUNDLE, body.getBytes(StandardCharsets.UTF_8));
        assertThat(set.x509Authorities()).containsExactly(ROOT.cert());
        assertThat(set.skipped()).hasSize(2).allSatisfy(s -> assertThat(s).startsWith("x509-svid authority: "));
    }

    @Test
    void verifiesThroughTheCacheWithOneFetch() throws Exception {
        fetcher.body = bundle(ROOT.cert());
        for (int i = 0; i < 3; i++) {
            assertThat(verifier.verify(List.of(TestCertificates.leaf(ROOT, ID, NOW).cert()), Duration.ofSeconds(30), source("example.org"))
                    .spiffeId()).isEqualTo(SpiffeId.parse(ID));
        }
        assertThat(fetcher.calls).hasValue(1);
    }

    @Test
    void anUnknownAuthorityRefetchesAtMostOncePerMissInterval() throws Exception {
        fetcher.body = bundle(ROOT.cert());
        BundleX509AuthoritySource src = source("example.org");
        Issued rotated = TestCertificates.root("example.org", NOW);
        List<X509Certificate> chain = List.of(TestCertificates.leaf(rotated, ID, NOW).cert());
        verifier.verify(List.of(TestCertificates.leaf(ROOT, ID, NOW).cert()), Duration.ofSeconds(30), src);
        assertThat(fetcher.calls).hasValue(1);
        clock.advance(Duration.ofSeconds(11));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> verifier.verify(chain, Duration.ofSeconds(30), src))
                    .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE));
        }
        assertThat(fetcher.calls).as("the first fetch, then one refetch for three misses").hasValue(2);
        // The trust domain publishes the new authority; after the miss interval the next miss finds it.
        fetcher.body = bundle(ROOT.cert(), rotated.cert());
        clock.advance(Duration.ofSeconds(11));
        assertThat(verifier.verify(chain, Duration.ofSeconds(30), src).spiffeId()).isEqualTo(SpiffeId.parse(ID));
        assertThat(fetcher.calls).hasValue(3);
    }

    @Test
    void keepsTheLastKnownGoodAuthoritiesWhenTheBundleFails() throws Exception {
        fetcher.body = bundle(ROOT.cert());
        List<X509Certificate> chain = List.of(TestCertificates.leaf(ROOT, ID, NOW).cert());
        verifier.verify(chain, Duration.ofSeconds(30), source("example.org"));
        fetcher.failing = true;
        clock.advance(Duration.ofMinutes(6));
        assertThat(verifier.verify(chain, Duration.ofSeconds(30), source("example.org")).spiffeId()).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void anUnreachableBundleIsKeySourceUnavailable() {
        fetcher.failing = true;
        assertThatThrownBy(() -> verifier.verify(List.of(TestCertificates.leaf(ROOT, ID, NOW).cert()), Duration.ofSeconds(30),
                source("example.org")))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.KEY_SOURCE_UNAVAILABLE))
                .hasMessageContaining("answered HTTP 503");
    }

    @Test
    void anotherTrustDomainsSvidNeverReachesTheBundle() {
        fetcher.body = bundle(ROOT.cert());
        assertThatThrownBy(() -> verifier.verify(List.of(TestCertificates.leaf(ROOT, "spiffe://other.org/x", NOW).cert()),
                Duration.ofSeconds(30), source("example.org")))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUST_DOMAIN_MISMATCH))
                .hasMessageContaining("X.509-SVID of trust domain 'other.org'");
        assertThat(fetcher.calls).hasValue(0);
    }

    /** The client named another trust domain's bundle: its authorities must not vouch for this SPIFFE ID. */
    @Test
    void aBundleWhoseAuthoritiesNameAnotherTrustDomainIsRefused() {
        Issued otherRoot = TestCertificates.root("other.org", NOW);
        fetcher.body = bundle(otherRoot.cert());
        // an X.509-SVID for example.org signed by other.org's authority, checked with the bundle the client named
        assertThatThrownBy(() -> verifier.verify(List.of(TestCertificates.leaf(otherRoot, ID, NOW).cert()), Duration.ofSeconds(30),
                source("example.org")))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUST_DOMAIN_MISMATCH))
                .hasMessageContaining("serves the bundle of trust domain 'other.org', not of the SVID's trust domain 'example.org'");
    }

    @Test
    void theSourceCheckRunsBeforeAnyFetch() {
        fetcher.body = bundle(ROOT.cert());
        BundleX509AuthoritySource guarded = new BundleX509AuthoritySource(cache, fetcher, BUNDLE, "example.org", url -> {
            throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "refused " + url);
        });
        assertThatThrownBy(() -> verifier.verify(List.of(TestCertificates.leaf(ROOT, ID, NOW).cert()), Duration.ofSeconds(30), guarded))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CLIENT_MISCONFIGURED));
        assertThat(fetcher.calls).hasValue(0);
    }
}
