package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWK;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** X.509-SVIDs and the X.509 CA as SPIRE 1.15's credtemplate builds them. */
class X509SvidTest {

    static final String ID = "spiffe://example.org/ns/prod/sa/api";
    static final Instant NOW = Instant.parse("2026-07-01T00:00:00.750Z");
    static final String KEY_USAGE = "2.5.29.15";
    static final String EXT_KEY_USAGE = "2.5.29.37";
    static final String BASIC_CONSTRAINTS = "2.5.29.19";
    static final String SUBJECT_KEY_ID = "2.5.29.14";
    static final String AUTHORITY_KEY_ID = "2.5.29.35";
    static final String SAN = "2.5.29.17";

    static SpireEmulatorBuilder fixed() {
        return SpireEmulator.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void leafFollowsSpiresWorkloadTemplate() throws Exception {
        try (SpireEmulator spire = fixed().start()) {
            X509Svid svid = spire.mintX509Svid(ID);
            X509Certificate leaf = svid.leaf();
            X509Certificate ca = spire.x509Authority().certificate();

            assertThat(svid.chain()).as("self-signed CA: the leaf alone").containsExactly(leaf);
            assertThat(svid.spiffeId()).isEqualTo(ID);
            assertThat(leaf.getVersion()).isEqualTo(3);
            assertThat(leaf.getSerialNumber()).isPositive();
            assertThat(leaf.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
            assertThat(Certs.subject(leaf)).containsExactly("2.5.4.6=19:US", "2.5.4.10=19:SPIRE");
            assertThat(leaf.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
            leaf.verify(ca.getPublicKey());
            assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withECDSA");
            assertThat(leaf.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-06-30T23:59:50Z"));
            assertThat(leaf.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-07-01T01:00:00Z"));
            assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, ID));

            assertThat(Certs.extensionOrder(leaf)).containsExactly(KEY_USAGE + "!", EXT_KEY_USAGE,
                    BASIC_CONSTRAINTS + "!", SUBJECT_KEY_ID, AUTHORITY_KEY_ID, SAN);
            assertThat(Certs.extensionHex(leaf, KEY_USAGE)).as("digitalSignature, keyEncipherment, keyAgreement")
                    .isEqualTo("030203a8");
            assertThat(Certs.extensionHex(leaf, BASIC_CONSTRAINTS)).as("CA:FALSE, as Go writes it").isEqualTo("3000");
            assertThat(leaf.getExtendedKeyUsage()).containsExactly(X509Forge.SERVER_AUTH, X509Forge.CLIENT_AUTH);
            assertThat(Certs.extensionHex(leaf, SUBJECT_KEY_ID)).isEqualTo("0414" + sha1OfKeyBits(leaf));
            assertThat(Certs.extensionHex(leaf, AUTHORITY_KEY_ID)).isEqualTo("30168014" + sha1OfKeyBits(ca));

            assertThat(leaf.getPublicKey()).isInstanceOf(ECPublicKey.class);
            assertThat(((ECPublicKey) leaf.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
            assertThat(signs(svid.privateKey(), leaf)).as("the key belongs to the leaf").isTrue();
            assertThat(Certs.pkixFailure(svid.chain(), spire.x509Authorities(), NOW)).isNull();
        }
    }

    @Test
    void caFollowsSpiresCaTemplate() throws Exception {
        try (SpireEmulator spire = fixed().trustDomain("prod.example").start()) {
            X509Certificate ca = spire.x509Authority().certificate();

            assertThat(spire.x509Authority().chain()).isEmpty();
            assertThat(spire.x509Authorities()).containsExactly(ca);
            assertThat(Certs.subject(ca)).containsExactly("2.5.4.6=19:US", "2.5.4.10=19:SPIFFE",
                    "2.5.4.5=19:" + ca.getSerialNumber());
            assertThat(ca.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
            ca.verify(ca.getPublicKey());
            assertThat(ca.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://prod.example"));
            assertThat(Certs.extensionOrder(ca)).as("self-signed: no authority key id")
                    .containsExactly(KEY_USAGE + "!", BASIC_CONSTRAINTS + "!", SUBJECT_KEY_ID, SAN);
            assertThat(Certs.extensionHex(ca, KEY_USAGE)).as("keyCertSign, cRLSign").isEqualTo("03020106");
            assertThat(Certs.extensionHex(ca, BASIC_CONSTRAINTS)).as("CA:TRUE, no path length").isEqualTo("30030101ff");
            assertThat(ca.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-06-30T23:59:50Z"));
            assertThat(ca.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-07-02T00:00:00Z"));
        }
    }

    @Test
    void lifetimeDefaultsAndIsCappedAtTheCa() {
        try (SpireEmulator spire = fixed().caTtl(Duration.ofHours(2)).defaultX509SvidTtl(Duration.ofMinutes(30)).start()) {
            Instant caNotAfter = spire.x509Authority().certificate().getNotAfter().toInstant();
            assertThat(spire.mintX509Svid(ID).notAfter()).isEqualTo(Instant.parse("2026-07-01T00:30:00Z"));
            assertThat(spire.mintX509Svid(ID, Duration.ZERO).notAfter()).as("not positive: the default")
                    .isEqualTo(Instant.parse("2026-07-01T00:30:00Z"));
            assertThat(spire.mintX509Svid(ID, Duration.ofMinutes(90)).notAfter()).isEqualTo(Instant.parse("2026-07-01T01:30:00Z"));
            assertThat(spire.mintX509Svid(ID, Duration.ofHours(5)).notAfter()).isEqualTo(caNotAfter);
        }
    }

    @Test
    void rsaLeafKeyAndRsaCa() throws Exception {
        try (SpireEmulator spire = fixed().x509CaKeyType(KeyType.RSA_2048).start()) {
            X509Svid svid = spire.mintX509Svid(ID, Duration.ofMinutes(10), KeyType.RSA_2048);
            assertThat(svid.leaf().getPublicKey()).isInstanceOf(RSAPublicKey.class);
            assertThat(((RSAPublicKey) svid.leaf().getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
            assertThat(svid.leaf().getSigAlgName()).as("Go signs with SHA-256 for an RSA CA").isEqualTo("SHA256withRSA");
            assertThat(signs(svid.privateKey(), svid.leaf())).isTrue();

            List<Map<String, Object>> bundle = bundleKeys(spire);
            assertThat(bundle).isEmpty(); // the endpoint serves X.509 authorities only when asked to
        }
        try (SpireEmulator spire = fixed().x509CaKeyType(KeyType.RSA_2048).x509Authority(true).start()) {
            Map<String, Object> entry = bundleKeys(spire).get(0);
            assertThat(entry.keySet()).containsExactly("use", "kty", "n", "e", "x5c");
            assertThat(JWK.parse(entry).toRSAKey().toRSAPublicKey()).isEqualTo(spire.x509Authority().certificate().getPublicKey());
        }
    }

    @Test
    void dnsNamesComeFirstAndNameTheSubject() throws Exception {
        try (SpireEmulator spire = fixed().start()) {
            X509Svid svid = spire.x509Svid(ID).dnsNames("api.example.org", "api").mint();
            assertThat(svid.leaf().getSubjectAlternativeNames()).containsExactly(
                    List.of(2, "api.example.org"), List.of(2, "api"), List.of(6, ID));
            assertThat(Certs.subject(svid.leaf())).containsExactly("2.5.4.6=19:US", "2.5.4.10=19:SPIRE",
                    "2.5.4.3=19:api.example.org");
        }
    }

    /** SPIRE's own test vector: pkg/common/x509svid/uniqueid_test.go. */
    @Test
    void uniqueIdComposerAddsTheX500UniqueIdentifier() {
        try (SpireEmulator spire = fixed().x509UniqueId(true).start()) {
            X509Svid svid = spire.mintX509Svid("spiffe://example.org/foo");
            assertThat(Certs.subject(svid.leaf())).containsExactly("2.5.4.6=19:US", "2.5.4.10=19:SPIRE",
                    "2.5.4.45=19:c3406f9b12ceb4f9c948318c579b905b");
        }
    }

    @Test
    void spiffeIdIsCheckedLikeSpire() {
        try (SpireEmulator spire = fixed().start()) {
            assertThatThrownBy(() -> spire.mintX509Svid("spiffe://other.org/w"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid X509-SVID ID: \"spiffe://other.org/w\" is not a member of trust domain \"example.org\"");
            assertThatThrownBy(() -> spire.mintX509Svid("spiffe://example.org"))
                    .hasMessageContaining("path is empty");
            assertThat(spire.x509Svid("spiffe://other.org/w").unchecked().mint().spiffeId()).isEqualTo("spiffe://other.org/w");
        }
    }

    @Test
    void ownKeyPair() {
        try (SpireEmulator spire = fixed().start()) {
            var keys = GoX509.ec("secp384r1");
            X509Svid svid = spire.x509Svid(ID).keyPair(keys).mint();
            assertThat(svid.leaf().getPublicKey()).isEqualTo(keys.getPublic());
            assertThat(svid.privateKey()).isEqualTo(keys.getPrivate());
        }
    }

    @Test
    void upstreamAuthorityMakesTheCaAnIntermediate() throws Exception {
        try (SpireEmulator spire = fixed().x509UpstreamAuthority(true).x509Authority(true).start()) {
            X509Svid svid = spire.mintX509Svid(ID);
            X509Certificate intermediate = spire.x509Authority().certificate();
            X509Certificate root = spire.x509Authorities().get(0);

            assertThat(spire.x509Authorities()).hasSize(1).doesNotContain(intermediate);
            assertThat(svid.chain()).containsExactly(svid.leaf(), intermediate);
            intermediate.verify(root.getPublicKey());
            assertThat(Certs.extensionOrder(intermediate)).containsExactly(KEY_USAGE + "!", BASIC_CONSTRAINTS + "!",
                    SUBJECT_KEY_ID, AUTHORITY_KEY_ID, SAN);
            assertThat(Certs.extensionHex(intermediate, AUTHORITY_KEY_ID)).isEqualTo("30168014" + sha1OfKeyBits(root));
            assertThat(intermediate.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://example.org"));
            assertThat(intermediate.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-07-02T00:00:00Z"));
            assertThat(Certs.pkixFailure(svid.chain(), List.of(root), NOW)).isNull();
            assertThat(Certs.pkixFailure(svid.chain(), List.of(intermediate), NOW)).as("the intermediate is no authority")
                    .isNotNull();
            assertThat(bundleKeys(spire)).singleElement().extracting(k -> k.get("x5c"))
                    .isEqualTo(List.of(Base64.getEncoder().encodeToString(root.getEncoded())));
        }
    }

    @Test
    void exports(@TempDir Path dir) throws Exception {
        try (SpireEmulator spire = fixed().x509UpstreamAuthority(true).start()) {
            X509Svid svid = spire.mintX509Svid(ID);

            assertThat(Certs.parseAll(svid.chainPem())).containsExactlyElementsOf(svid.chain());
            String keyPem = svid.privateKeyPem();
            assertThat(keyPem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
            String b64 = keyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey parsed = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
            assertThat(parsed).isEqualTo(svid.privateKey());

            KeyStore p12 = KeyStore.getInstance("PKCS12");
            p12.load(new ByteArrayInputStream(svid.pkcs12("pw".toCharArray())), "pw".toCharArray());
            assertThat(p12.getKey(X509Svid.ALIAS, "pw".toCharArray())).isEqualTo(svid.privateKey());
            assertThat(p12.getCertificateChain(X509Svid.ALIAS)).containsExactlyElementsOf(svid.chain());

            svid.writePem(dir.resolve("svid.pem"), dir.resolve("svid_key.pem"));
            assertThat(Files.readString(dir.resolve("svid.pem"))).isEqualTo(svid.chainPem());
            assertThat(Files.readString(dir.resolve("svid_key.pem"))).isEqualTo(keyPem);
            try (var files = Files.list(dir)) {
                assertThat(files).hasSize(2); // no temporary files left
            }
        }
    }

    @Test
    void serialNumbersAreSpiresRange() {
        for (int i = 0; i < 200; i++) {
            BigInteger n = GoX509.newSerialNumber();
            assertThat(n).isPositive();
            assertThat(n.bitLength()).isLessThanOrEqualTo(128);
        }
    }

    static boolean signs(PrivateKey key, X509Certificate cert) throws Exception {
        String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        Signature s = Signature.getInstance(alg);
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg);
        v.initVerify(cert.getPublicKey());
        v.update(new byte[] {1, 2, 3});
        return v.verify(sig);
    }

    static String sha1OfKeyBits(X509Certificate cert) throws Exception {
        byte[] bits = SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded()).getPublicKeyData().getBytes();
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bits));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> bundleKeys(SpireEmulator spire) {
        List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(Http.get(spire.bundleUrl())).get("keys");
        return keys.stream().filter(k -> "x509-svid".equals(k.get("use"))).toList();
    }
}
