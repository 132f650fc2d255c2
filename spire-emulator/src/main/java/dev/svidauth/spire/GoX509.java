package dev.svidauth.spire;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Certificates encoded as Go's {@code crypto/x509.CreateCertificate} encodes SPIRE's templates:
 * the extensions in Go's order (key usage and basic constraints critical, then extended key usage,
 * subject and authority key identifiers, subject alternative names: DNS names before URIs), name
 * attributes one per RDN in {@code pkix.Name.ToRDNSequence} order as PrintableString where
 * possible, times in whole seconds, the signature algorithm Go derives from the signer's key
 * (ECDSA with SHA-256/384/512 by curve size, SHA-256 with RSA PKCS #1 v1.5), subject key
 * identifiers as SPIRE's {@code x509util.GetSubjectKeyID} (SHA-1 of the public key bits, RFC 5280
 * 4.2.1.2 method 1) and serial numbers as SPIRE's {@code x509util.NewSerialNumber} (random in
 * [1, 2<sup>128</sup> − 1]).
 */
final class GoX509 {

    /** SPIRE's {@code credtemplate.NotBeforeCushion}: notBefore is now minus this. */
    static final Duration NOT_BEFORE_CUSHION = Duration.ofSeconds(10);
    /** The x500UniqueIdentifier attribute ({@code pkg/common/x509svid/uniqueid.go}). */
    static final ASN1ObjectIdentifier UNIQUE_IDENTIFIER = BCStyle.UNIQUE_IDENTIFIER;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BigInteger MAX_UINT128 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    /** Characters of an ASN.1 PrintableString (Go's {@code isPrintable} when marshalling). */
    private static final Pattern PRINTABLE = Pattern.compile("[A-Za-z0-9 '()+,\\-./:=?]*");

    private GoX509() {
    }

    /** What one certificate carries; a field left empty or zero leaves its extension out, as in Go. */
    static final class Template {
        BigInteger serial = newSerialNumber();
        X500Name subject;
        PublicKey publicKey;
        Instant notBefore;
        Instant notAfter;
        /** BouncyCastle {@link KeyUsage} bits; 0 leaves the extension out (Go: {@code KeyUsage != 0}). */
        int keyUsage;
        List<KeyPurposeId> extKeyUsage = new ArrayList<>();
        /** Go's {@code BasicConstraintsValid}: false leaves the extension out. */
        boolean basicConstraints = true;
        boolean ca;
        byte[] subjectKeyId;
        byte[] authorityKeyId;
        List<String> dnsNames = new ArrayList<>();
        List<String> uris = new ArrayList<>();
    }

    /** Signs {@code t} with {@code signer} under the issuer name {@code issuer}. */
    static X509Certificate create(Template t, X500Name issuer, PrivateKey signer) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, t.serial,
                    Date.from(t.notBefore.truncatedTo(ChronoUnit.SECONDS)),
                    Date.from(t.notAfter.truncatedTo(ChronoUnit.SECONDS)), t.subject, t.publicKey);
            if (t.keyUsage != 0) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(t.keyUsage));
            }
            if (!t.extKeyUsage.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(t.extKeyUsage.toArray(KeyPurposeId[]::new)));
            }
            if (t.basicConstraints) {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(t.ca));
            }
            if (t.subjectKeyId != null) {
                b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(t.subjectKeyId));
            }
            if (t.authorityKeyId != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(t.authorityKeyId));
            }
            if (!t.dnsNames.isEmpty() || !t.uris.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                t.dnsNames.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
                t.uris.forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
                // RFC 5280 4.2.1.6, as Go: critical only when the subject is empty
                b.addExtension(Extension.subjectAlternativeName, t.subject.getRDNs().length == 0,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(signatureAlgorithm(signer)).build(signer)));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create a certificate", e);
        }
    }

    /** The signature algorithm Go's {@code x509.CreateCertificate} picks for this key. */
    static String signatureAlgorithm(PrivateKey key) {
        if (key instanceof ECKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits <= 256 ? "SHA256withECDSA" : bits <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
        }
        return "SHA256withRSA";
    }

    /**
     * A name with one attribute per RDN, in the order given (callers follow Go's: C, O, OU, CN,
     * SERIALNUMBER, then extra names); each value a PrintableString when it can be one, else UTF8String.
     */
    static X500Name name(Object... oidValuePairs) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        for (int i = 0; i < oidValuePairs.length; i += 2) {
            String value = (String) oidValuePairs[i + 1];
            ASN1Encodable encoded = PRINTABLE.matcher(value).matches()
                    ? new DERPrintableString(value) : new DERUTF8String(value);
            b.addRDN((ASN1ObjectIdentifier) oidValuePairs[i], encoded);
        }
        return b.build();
    }

    /** The subject of {@code cert} as BouncyCastle reads it, encoding kept. */
    static X500Name subjectOf(X509Certificate cert) {
        return X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    }

    /** SPIRE's {@code x509util.NewSerialNumber}: uniformly random in [1, 2^128 − 1]. */
    static BigInteger newSerialNumber() {
        BigInteger n;
        do {
            n = new BigInteger(128, RANDOM);
        } while (n.compareTo(MAX_UINT128) >= 0);
        return n.add(BigInteger.ONE);
    }

    /** SPIRE's {@code x509util.GetSubjectKeyID}: SHA-1 of the subjectPublicKey bits. */
    static byte[] subjectKeyId(PublicKey key) {
        try {
            byte[] bits = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
            return MessageDigest.getInstance("SHA-1").digest(bits);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The subject key identifier of {@code cert}, or null without one. */
    static byte[] subjectKeyIdOf(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        return ext == null ? null
                : SubjectKeyIdentifier.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets())
                        .getKeyIdentifier();
    }

    /** A fresh key pair of {@code type}. */
    static KeyPair generate(KeyType type) {
        return switch (type) {
            case EC_P256 -> ec("secp256r1");
            case EC_P384 -> ec("secp384r1");
            case RSA_2048 -> rsa(2048);
            case RSA_4096 -> rsa(4096);
        };
    }

    /** A fresh EC key pair on the named curve ({@code secp256r1}, {@code secp384r1}, {@code secp521r1}). */
    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an EC " + curve + " key", e);
        }
    }

    /** A fresh RSA key pair of {@code bits}. */
    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits, RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an RSA " + bits + " key", e);
        }
    }

    /** Parses DER, without verifying anything (also a certificate whose signature was damaged). */
    static X509Certificate parse(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException("not a certificate", e);
        }
    }
}
