package dev.svidauth.svid;

import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.svid.TestCertificates.Issued;
import dev.svidauth.svid.TestCertificates.Spec;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class X509SvidVerifierTest {

    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final Duration SKEW = Duration.ofSeconds(30);
    static final String ID = "spiffe://example.org/ns/apps/sa/reporting";

    static final Issued ROOT = TestCertificates.root("example.org", NOW);
    static final Issued INTERMEDIATE = TestCertificates.intermediate(ROOT, "example.org", NOW);
    static final Issued OTHER_ROOT = TestCertificates.root("other.org", NOW);

    private final X509SvidVerifier verifier = new X509SvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC));

    /** Fixed authorities, then (after a miss) {@code after} if given; counts the refetches asked for. */
    static final class Authorities implements X509AuthoritySource {
        final List<X509Certificate> first;
        final List<X509Certificate> after;
        final AtomicInteger misses = new AtomicInteger();

        Authorities(List<X509Certificate> first, List<X509Certificate> after) {
            this.first = first;
            this.after = after;
        }

        @Override
        public List<X509Certificate> authorities(SpiffeId id) {
            return first;
        }

        @Override
        public List<X509Certificate> authoritiesAfterMiss(SpiffeId id, List<X509Certificate> seen) {
            misses.incrementAndGet();
            return after;
        }

        @Override
        public String toString() {
            return "https://bundle.example.org";
        }
    }

    static Authorities trusting(Issued... roots) {
        List<X509Certificate> certs = new ArrayList<>();
        for (Issued r : roots) {
            certs.add(r.cert());
        }
        return new Authorities(certs, null);
    }

    static List<X509Certificate> chain(Issued... certs) {
        List<X509Certificate> out = new ArrayList<>();
        for (Issued c : certs) {
            out.add(c.cert());
        }
        return out;
    }

    static Spec leafSpec() {
        return new Spec(NOW).uris(ID);
    }

    static Stream<Arguments> good() {
        return Stream.of(
                arguments("leaf signed by the root", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.leaf(ROOT, ID, NOW))),
                arguments("leaf, intermediate", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.leaf(INTERMEDIATE, ID, NOW), INTERMEDIATE)),
                arguments("leaf, intermediate and the root itself", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.leaf(INTERMEDIATE, ID, NOW), INTERMEDIATE, ROOT)),
                arguments("SPIRE's extendedKeyUsage: serverAuth and clientAuth", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.issue(leafSpec().extendedKeyUsage(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth), ROOT))),
                arguments("RSA 2048 leaf", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.issue(leafSpec().keys(TestCertificates.rsa(2048)), ROOT))),
                arguments("P-384 leaf", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.issue(leafSpec().keys(TestCertificates.ec("secp384r1")), ROOT))),
                arguments("expired 20 s ago, within the 30 s skew", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.issue(leafSpec().validity(NOW.minusSeconds(3600), NOW.minusSeconds(20)), ROOT))),
                arguments("valid in 20 s, within the 30 s skew", (Supplier<List<X509Certificate>>) () ->
                        chain(TestCertificates.issue(leafSpec().validity(NOW.plusSeconds(20), NOW.plusSeconds(3600)), ROOT))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("good")
    void acceptsGoodSvids(String name, Supplier<List<X509Certificate>> chain) throws Exception {
        VerifiedX509Svid v = verifier.verify(chain.get(), SKEW, trusting(ROOT));
        assertThat(v.spiffeId().toString()).isEqualTo(ID);
        assertThat(v.notes()).containsExactly(
                org.assertj.core.api.Assertions.entry("svid.sub", ID),
                org.assertj.core.api.Assertions.entry("svid.trust_domain", "example.org"),
                org.assertj.core.api.Assertions.entry("svid.path", "/ns/apps/sa/reporting"));
    }

    static Stream<Arguments> bad() {
        return Stream.of(
                arguments("no certificate", (Supplier<List<X509Certificate>>) List::of, Reason.NO_CERTIFICATE, "no client certificate was presented"),
                arguments("null chain", (Supplier<List<X509Certificate>>) () -> null, Reason.NO_CERTIFICATE, "no client certificate was presented"),
                arguments("no URI SAN", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.issue(new Spec(NOW), ROOT)),
                        Reason.BAD_CERTIFICATE, "carries exactly one URI SAN; the client certificate has 0"),
                arguments("two URI SANs", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(new Spec(NOW).uris(ID, "spiffe://example.org/other"), ROOT)),
                        Reason.BAD_CERTIFICATE, "the client certificate has 2"),
                arguments("URI SAN not a SPIFFE ID", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(new Spec(NOW).uris("https://example.org/x"), ROOT)),
                        Reason.BAD_SPIFFE_ID, "X.509-SVID URI SAN is not a valid SPIFFE ID"),
                arguments("SPIFFE ID with upper-case trust domain", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(new Spec(NOW).uris("spiffe://Example.org/x"), ROOT)),
                        Reason.BAD_SPIFFE_ID, "X.509-SVID URI SAN is not a valid SPIFFE ID"),
                arguments("CA as leaf", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.issue(leafSpec().leafAsCa(), ROOT)),
                        Reason.BAD_CERTIFICATE, "is a CA certificate"),
                arguments("no keyUsage", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.issue(leafSpec().noKeyUsage(), ROOT)),
                        Reason.BAD_CERTIFICATE, "lacks keyUsage digitalSignature"),
                arguments("keyUsage without digitalSignature", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().keyUsage(KeyUsage.keyEncipherment), ROOT)),
                        Reason.BAD_CERTIFICATE, "lacks keyUsage digitalSignature"),
                arguments("keyCertSign on the leaf", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign), ROOT)),
                        Reason.BAD_CERTIFICATE, "sets keyUsage keyCertSign or cRLSign"),
                arguments("cRLSign on the leaf", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().keyUsage(KeyUsage.digitalSignature | KeyUsage.cRLSign), ROOT)),
                        Reason.BAD_CERTIFICATE, "sets keyUsage keyCertSign or cRLSign"),
                arguments("extendedKeyUsage without clientAuth", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().extendedKeyUsage(KeyPurposeId.id_kp_serverAuth), ROOT)),
                        Reason.BAD_CERTIFICATE, "has an extendedKeyUsage without clientAuth"),
                arguments("RSA 1024 leaf", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().keys(TestCertificates.rsa(1024)), ROOT)),
                        Reason.BAD_CERTIFICATE, "the leaf has a 1024-bit RSA key"),
                arguments("P-521 leaf", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().keys(TestCertificates.ec("secp521r1")), ROOT)),
                        Reason.BAD_CERTIFICATE, "only P-256 and P-384 are accepted"),
                arguments("expired leaf", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().validity(NOW.minusSeconds(3600), NOW.minusSeconds(31)), ROOT)),
                        Reason.CERTIFICATE_EXPIRED, "X.509-SVID of " + ID + " expired at 2026-06-01T11:59:29Z"),
                arguments("leaf not yet valid", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.issue(leafSpec().validity(NOW.plusSeconds(31), NOW.plusSeconds(3600)), ROOT)),
                        Reason.NOT_YET_VALID, "is not valid before 2026-06-01T12:00:31Z"),
                arguments("expired intermediate", (Supplier<List<X509Certificate>>) () -> {
                            Issued old = TestCertificates.issue(new Spec(NOW).subject("CN=old").uris("spiffe://example.org").ca()
                                    .validity(NOW.minusSeconds(7200), NOW.minusSeconds(60)), ROOT);
                            return chain(TestCertificates.leaf(old, ID, NOW), old);
                        }, Reason.CERTIFICATE_EXPIRED, "intermediate 1 of the X.509-SVID of " + ID + " expired"),
                arguments("signed by another trust domain's CA", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.leaf(OTHER_ROOT, ID, NOW)),
                        Reason.UNTRUSTED_CERTIFICATE, "does not verify up to an X.509 authority of trust domain 'example.org'"),
                arguments("self-signed leaf", (Supplier<List<X509Certificate>>) () -> chain(TestCertificates.issue(leafSpec(), null)),
                        Reason.UNTRUSTED_CERTIFICATE, "does not verify up to an X.509 authority"),
                arguments("intermediate missing from the chain", (Supplier<List<X509Certificate>>) () ->
                                chain(TestCertificates.leaf(INTERMEDIATE, ID, NOW)),
                        Reason.UNTRUSTED_CERTIFICATE, "does not verify up to an X.509 authority"),
                arguments("leaf signed by a non-CA", (Supplier<List<X509Certificate>>) () -> {
                            Issued notCa = TestCertificates.issue(new Spec(NOW).subject("CN=not a ca").uris("spiffe://example.org/x")
                                    .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign), ROOT);
                            return chain(TestCertificates.leaf(notCa, ID, NOW), notCa);
                        }, Reason.UNTRUSTED_CERTIFICATE, "does not verify up to an X.509 authority"),
                arguments("chain too long", (Supplier<List<X509Certificate>>) () ->
                                Collections.nCopies(9, TestCertificates.leaf(ROOT, ID, NOW).cert()),
                        Reason.BAD_CERTIFICATE, "client certificate chain has 9 certificates; at most 8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void refusesWithTheExactReason(String name, Supplier<List<X509Certificate>> chain, Reason reason, String message) {
        assertThatThrownBy(() -> verifier.verify(chain.get(), SKEW, trusting(ROOT)))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    @Test
    void aBundleWithoutX509AuthoritySaysSo() {
        assertThatThrownBy(() -> verifier.verify(chain(TestCertificates.leaf(ROOT, ID, NOW)), SKEW, trusting()))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE))
                .hasMessageContaining("its bundle https://bundle.example.org publishes no x509-svid authority");
    }

    @Test
    void anUnknownAuthorityRefetchesOnceAndAcceptsARotatedCa() throws Exception {
        Issued rotated = TestCertificates.root("example.org", NOW);
        Authorities source = new Authorities(List.of(ROOT.cert()), List.of(ROOT.cert(), rotated.cert()));
        VerifiedX509Svid v = verifier.verify(chain(TestCertificates.leaf(rotated, ID, NOW)), SKEW, source);
        assertThat(v.spiffeId().toString()).isEqualTo(ID);
        assertThat(source.misses).hasValue(1);
    }

    @Test
    void aKnownAuthorityNeedsNoRefetch() throws Exception {
        Authorities source = trusting(ROOT);
        verifier.verify(chain(TestCertificates.leaf(ROOT, ID, NOW)), SKEW, source);
        assertThat(source.misses).hasValue(0);
    }

    @Test
    void anUnknownAuthorityWithNothingNewerIsUntrusted() {
        Authorities source = trusting(ROOT);
        assertThatThrownBy(() -> verifier.verify(chain(TestCertificates.leaf(OTHER_ROOT, ID, NOW)), SKEW, source))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE));
        assertThat(source.misses).hasValue(1);
    }
}
