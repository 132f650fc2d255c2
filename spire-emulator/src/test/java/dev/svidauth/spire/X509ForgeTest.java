package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.svidauth.spire.X509Forge.Defect;

import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each defect of the catalog breaks exactly the rule it names: the rules of the X.509-SVID spec a
 * verifier applies (one URI SAN that is a SPIFFE ID of the trust domain, a leaf that is no CA, sets
 * digitalSignature and neither keyCertSign nor cRLSign, TLS client use, RSA ≥ 2048 or EC
 * P-256/P-384, within validity, at most 8 certificates, PKIX up to the trust domain's authorities)
 * all hold for a genuine SVID and all but one for each defect.
 */
class X509ForgeTest {

    static final String ID = "spiffe://example.org/ns/prod/sa/api";

    enum Rule { ONE_URI_SAN, SPIFFE_ID, OWN_TRUST_DOMAIN, NOT_CA, DIGITAL_SIGNATURE, NO_CERT_SIGN, CLIENT_AUTH,
        KEY_STRENGTH, NOT_EXPIRED, ALREADY_VALID, CHAIN_LENGTH, CHAINS_TO_BUNDLE }

    static final Map<Defect, Set<Rule>> BREAKS = Map.ofEntries(
            Map.entry(Defect.SELF_SIGNED, EnumSet.of(Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.TWO_URI_SANS, EnumSet.of(Rule.ONE_URI_SAN)),
            Map.entry(Defect.NON_SPIFFE_URI_SAN, EnumSet.of(Rule.SPIFFE_ID, Rule.OWN_TRUST_DOMAIN)),
            Map.entry(Defect.NO_URI_SAN, EnumSet.of(Rule.ONE_URI_SAN, Rule.SPIFFE_ID, Rule.OWN_TRUST_DOMAIN)),
            Map.entry(Defect.CA_LEAF, EnumSet.of(Rule.NOT_CA)),
            Map.entry(Defect.NO_DIGITAL_SIGNATURE, EnumSet.of(Rule.DIGITAL_SIGNATURE)),
            Map.entry(Defect.KEY_CERT_SIGN, EnumSet.of(Rule.NO_CERT_SIGN)),
            Map.entry(Defect.NO_CLIENT_AUTH, EnumSet.of(Rule.CLIENT_AUTH)),
            Map.entry(Defect.EXPIRED, EnumSet.of(Rule.NOT_EXPIRED)),
            Map.entry(Defect.NOT_YET_VALID, EnumSet.of(Rule.ALREADY_VALID)),
            Map.entry(Defect.WEAK_RSA_1024, EnumSet.of(Rule.KEY_STRENGTH)),
            Map.entry(Defect.EC_P521, EnumSet.of(Rule.KEY_STRENGTH)),
            Map.entry(Defect.UNRELATED_CA, EnumSet.of(Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.UNRELATED_INTERMEDIATE, EnumSet.of(Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.IMPOSTOR_CA, EnumSet.of(Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.BAD_SIGNATURE, EnumSet.of(Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.FOREIGN_SPIFFE_ID, EnumSet.of(Rule.OWN_TRUST_DOMAIN)),
            Map.entry(Defect.OTHER_TRUST_DOMAIN, EnumSet.of(Rule.OWN_TRUST_DOMAIN, Rule.CHAINS_TO_BUNDLE)),
            Map.entry(Defect.CHAIN_TOO_LONG, EnumSet.of(Rule.CHAIN_LENGTH)));

    static SpireEmulator spire;
    static SpireEmulator upstream;

    @BeforeAll
    static void start() {
        spire = SpireEmulator.builder().start();
        upstream = SpireEmulator.builder().x509UpstreamAuthority(true).start();
    }

    @AfterAll
    static void stop() {
        spire.close();
        upstream.close();
    }

    @Test
    void everyDefectIsInTheTable() {
        assertThat(BREAKS.keySet()).containsExactlyInAnyOrder(Defect.values());
    }

    @Test
    void genuineSvidsBreakNoRule() {
        assertThat(broken(spire, spire.mintX509Svid(ID))).isEmpty();
        assertThat(broken(spire, spire.x509Forge().leaf(ID).mint())).as("an unchanged forged leaf is genuine").isEmpty();
        assertThat(broken(upstream, upstream.mintX509Svid(ID))).isEmpty();
        assertThat(broken(upstream, upstream.x509Forge().leaf(ID).mint())).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Defect.class)
    void eachDefectBreaksItsRule(Defect defect) {
        assertThat(broken(spire, spire.x509Forge().defective(defect, ID))).isEqualTo(BREAKS.get(defect));
        assertThat(broken(upstream, defect.forge(upstream.x509Forge(), ID))).as("under an upstream authority")
                .isEqualTo(BREAKS.get(defect));
    }

    @Test
    void detailsOfTheDefects() throws Exception {
        X509Forge forge = spire.x509Forge();
        X509Certificate ca = spire.x509Authority().certificate();

        X509Svid self = forge.defective(Defect.SELF_SIGNED, ID);
        assertThat(self.chain()).hasSize(1);
        self.leaf().verify(self.leaf().getPublicKey());
        assertThat(self.spiffeId()).isEqualTo(ID);

        assertThat(X509Svid.uriSans(forge.defective(Defect.TWO_URI_SANS, ID).leaf()))
                .containsExactly(ID, "spiffe://example.org/admin");
        assertThat(X509Svid.uriSans(forge.defective(Defect.NON_SPIFFE_URI_SAN, ID).leaf()))
                .containsExactly("https://example.org/ns/prod/sa/api");
        assertThat(forge.defective(Defect.WEAK_RSA_1024, ID).leaf().getPublicKey())
                .isInstanceOfSatisfying(RSAPublicKey.class, k -> assertThat(k.getModulus().bitLength()).isEqualTo(1024));

        X509Svid intermediate = forge.defective(Defect.UNRELATED_INTERMEDIATE, ID);
        assertThat(intermediate.chain()).hasSize(2);
        intermediate.leaf().verify(intermediate.chain().get(1).getPublicKey());

        X509Svid impostor = forge.defective(Defect.IMPOSTOR_CA, ID);
        assertThat(impostor.leaf().getIssuerX500Principal()).as("names the genuine CA").isEqualTo(ca.getSubjectX500Principal());
        assertThat(impostor.leaf().getExtensionValue("2.5.29.35")).as("and its key id")
                .isEqualTo(spire.mintX509Svid(ID).leaf().getExtensionValue("2.5.29.35"));

        assertThat(forge.defective(Defect.FOREIGN_SPIFFE_ID, ID).spiffeId()).isEqualTo("spiffe://other-example.org/ns/prod/sa/api");
        X509Svid other = forge.defective(Defect.OTHER_TRUST_DOMAIN, ID);
        assertThat(other.spiffeId()).isEqualTo("spiffe://other-example.org/ns/prod/sa/api");
        assertThat(X509Svid.uriSans(other.leaf())).hasSize(1);

        assertThat(forge.defective(Defect.CHAIN_TOO_LONG, ID).chain()).hasSize(9);
        assertThat(upstream.x509Forge().defective(Defect.CHAIN_TOO_LONG, ID).chain()).hasSize(10);
    }

    /** A forge follows its emulator's clock, also when that is years away from the system's. */
    @ParameterizedTest
    @EnumSource(Defect.class)
    void defectsFollowTheEmulatorsClock(Defect defect) {
        Instant future = Instant.parse("2031-03-01T12:00:00Z");
        try (SpireEmulator later = SpireEmulator.builder().clock(new MutableClock(future)).start()) {
            assertThat(broken(later, later.x509Forge().defective(defect, ID), future)).isEqualTo(BREAKS.get(defect));
        }
    }

    /** The other trust domain's SVID as another emulator mints it: genuine there, untrusted here. */
    @Test
    void svidOfAnotherEmulator() {
        try (SpireEmulator other = SpireEmulator.builder().trustDomain("other.example").start()) {
            X509Svid foreign = other.mintX509Svid("spiffe://other.example/w");
            assertThat(Certs.pkixFailure(foreign.chain(), other.x509Authorities(), Instant.now())).isNull();
            assertThat(Certs.pkixFailure(foreign.chain(), spire.x509Authorities(), Instant.now())).isNotNull();
            assertThat(broken(spire, foreign)).containsExactlyInAnyOrder(Rule.OWN_TRUST_DOMAIN, Rule.CHAINS_TO_BUNDLE);
        }
    }

    @Test
    void builderKnobs() throws Exception {
        X509Forge forge = spire.x509Forge();
        X509Certificate bare = forge.leaf(ID).withoutKeyUsage().withoutBasicConstraints().extendedKeyUsage()
                .withoutSubjectKeyId().withoutAuthorityKeyId().mint().leaf();
        assertThat(Certs.extensionOrder(bare)).containsExactly("2.5.29.17");

        X509Certificate named = forge.leaf(ID).subject("CN=admin,O=SPIRE").dnsNames("a.example").mint().leaf();
        assertThat(named.getSubjectX500Principal().getName()).isEqualTo("CN=admin,O=SPIRE");

        X509Svid appended = forge.leaf(ID).append(spire.x509Authority().certificate()).mint();
        assertThat(appended.chain()).hasSize(2).endsWith(spire.x509Authority().certificate());
        X509Svid replaced = forge.leaf(ID).signedBy(forge.intermediate(forge.issuer())).chain().mint();
        assertThat(replaced.chain()).as("the intermediate withheld").hasSize(1);
        assertThat(broken(spire, replaced)).containsExactly(Rule.CHAINS_TO_BUNDLE);

        X509Svid standalone = X509Forge.standalone("lab.example").leaf("spiffe://lab.example/w").mint();
        assertThat(standalone.spiffeId()).isEqualTo("spiffe://lab.example/w");
    }

    /** The rules a verifier applies, checked independently of the forge, now. */
    static Set<Rule> broken(SpireEmulator td, X509Svid svid) {
        return broken(td, svid, Instant.now());
    }

    /** The rules a verifier applies, checked independently of the forge, at {@code now}. */
    static Set<Rule> broken(SpireEmulator td, X509Svid svid, Instant now) {
        X509Certificate leaf = svid.leaf();
        Set<Rule> broken = EnumSet.noneOf(Rule.class);
        List<String> uris = X509Svid.uriSans(leaf);
        if (uris.size() != 1) {
            broken.add(Rule.ONE_URI_SAN);
        }
        if (uris.isEmpty() || !uris.get(0).startsWith("spiffe://")) {
            broken.add(Rule.SPIFFE_ID);
        }
        if (uris.isEmpty() || !uris.get(0).startsWith("spiffe://" + td.trustDomain() + "/")) {
            broken.add(Rule.OWN_TRUST_DOMAIN);
        }
        if (leaf.getBasicConstraints() != -1) {
            broken.add(Rule.NOT_CA);
        }
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || !ku[0]) {
            broken.add(Rule.DIGITAL_SIGNATURE);
        }
        if (ku != null && (ku[5] || ku[6])) {
            broken.add(Rule.NO_CERT_SIGN);
        }
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(X509Forge.CLIENT_AUTH)) {
                broken.add(Rule.CLIENT_AUTH);
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new IllegalStateException(e);
        }
        if (!strongEnough(leaf)) {
            broken.add(Rule.KEY_STRENGTH);
        }
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            broken.add(Rule.NOT_EXPIRED);
        }
        if (leaf.getNotBefore().toInstant().isAfter(now)) {
            broken.add(Rule.ALREADY_VALID);
        }
        if (svid.chain().size() > 8) {
            broken.add(Rule.CHAIN_LENGTH);
        }
        if (!chainsTo(svid.chain(), td.x509Authorities())) {
            broken.add(Rule.CHAINS_TO_BUNDLE);
        }
        return broken;
    }

    /**
     * PKIX at an instant when every certificate is valid, so that expiry is not counted twice;
     * when there is none (a leaf that expired before its CA was made), each signature checked by
     * the next certificate's key and the last by an authority of that name.
     */
    static boolean chainsTo(List<X509Certificate> chain, List<X509Certificate> authorities) {
        X509Certificate last = chain.get(chain.size() - 1);
        List<X509Certificate> all = new ArrayList<>(chain);
        authorities.stream().filter(a -> a.getSubjectX500Principal().equals(last.getIssuerX500Principal())).forEach(all::add);
        Instant from = all.stream().map(c -> c.getNotBefore().toInstant()).max(Instant::compareTo).orElseThrow();
        Instant to = all.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo).orElseThrow();
        if (!from.isAfter(to)) {
            return Certs.pkixFailure(chain, authorities, from) == null;
        }
        for (int i = 0; i < all.size() - 1; i++) {
            try {
                all.get(i).verify(all.get(i + 1).getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                return false;
            }
        }
        return all.size() > chain.size();
    }

    private static boolean strongEnough(X509Certificate cert) {
        if (cert.getPublicKey() instanceof RSAPublicKey rsa) {
            return rsa.getModulus().bitLength() >= 2048;
        }
        int bits = ((ECPublicKey) cert.getPublicKey()).getParams().getCurve().getField().getFieldSize();
        return bits == 256 || bits == 384;
    }
}
