package dev.svidauth.svid;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Certificates generated at run time for the X.509-SVID tests (BouncyCastle's builder, JDK keys). */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(1);

    private TestCertificates() {
    }

    /** A key and its certificate. */
    public record Issued(KeyPair keys, X509Certificate cert) {
    }

    public static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What one certificate looks like; defaults are a good P-256 X.509-SVID leaf valid for an hour around {@code now}. */
    public static final class Spec {
        String subject = "CN=svid";
        KeyPair keys = ec("secp256r1");
        List<String> uris = List.of();
        boolean ca;
        int keyUsage = KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement;
        boolean withKeyUsage = true;
        /** Extended key usages (none: no extension). */
        List<KeyPurposeId> extendedKeyUsage = List.of();
        Instant notBefore;
        Instant notAfter;

        public Spec(Instant now) {
            notBefore = now.minus(Duration.ofMinutes(5));
            notAfter = now.plus(Duration.ofHours(1));
        }

        public Spec subject(String s) { subject = s; return this; }
        public Spec keys(KeyPair k) { keys = k; return this; }
        public Spec uris(String... u) { uris = List.of(u); return this; }
        public Spec ca() { ca = true; keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature; return this; }
        public Spec leafAsCa() { ca = true; return this; }
        public Spec keyUsage(int ku) { keyUsage = ku; return this; }
        public Spec noKeyUsage() { withKeyUsage = false; return this; }
        public Spec extendedKeyUsage(KeyPurposeId... purposes) { extendedKeyUsage = List.of(purposes); return this; }
        public Spec validity(Instant from, Instant to) { notBefore = from; notAfter = to; return this; }
    }

    /** A self-signed CA: the X.509 authority of a trust domain. */
    public static Issued root(String trustDomain, Instant now) {
        Spec s = new Spec(now).subject("O=SPIFFE,CN=" + trustDomain).uris("spiffe://" + trustDomain).ca()
                .validity(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));
        return issue(s, null);
    }

    /** A CA signed by {@code issuer}. */
    public static Issued intermediate(Issued issuer, String trustDomain, Instant now) {
        return issue(new Spec(now).subject("O=SPIFFE,CN=intermediate " + trustDomain).uris("spiffe://" + trustDomain).ca()
                .validity(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(7))), issuer);
    }

    /** A good leaf for {@code spiffeId} signed by {@code issuer}. */
    public static Issued leaf(Issued issuer, String spiffeId, Instant now) {
        return issue(new Spec(now).uris(spiffeId), issuer);
    }

    /** Issues {@code s}, signed by {@code issuer} (null: self-signed). */
    public static Issued issue(Spec s, Issued issuer) {
        try {
            X500Name subject = new X500Name(s.subject);
            X500Name issuerName = issuer == null ? subject : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
            PrivateKey signer = issuer == null ? s.keys.getPrivate() : issuer.keys().getPrivate();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.getAndIncrement()),
                    Date.from(s.notBefore), Date.from(s.notAfter), subject, s.keys.getPublic());
            if (!s.uris.isEmpty()) {
                GeneralName[] names = s.uris.stream().map(u -> new GeneralName(GeneralName.uniformResourceIdentifier, u))
                        .toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(s.ca));
            if (s.withKeyUsage) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(s.keyUsage));
            }
            if (!s.extendedKeyUsage.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(s.extendedKeyUsage.toArray(KeyPurposeId[]::new)));
            }
            String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(alg).build(signer)));
            return new Issued(s.keys, cert);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A SPIFFE bundle entry for an X.509 authority: {@code use: x509-svid}, {@code x5c} of one base64 DER certificate. */
    public static String bundleEntry(X509Certificate authority) {
        try {
            return "{\"use\":\"x509-svid\",\"kty\":\"EC\",\"x5c\":[\"" + Base64.getEncoder().encodeToString(authority.getEncoded()) + "\"]}";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
