package dev.svidauth.spire;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Looks into certificates for the X.509 tests. */
final class Certs {

    private Certs() {
    }

    /** PKIX (no revocation) of {@code chain} up to one of {@code anchors} at {@code at}; the failure, or null when it verifies. */
    static String pkixFailure(List<X509Certificate> chain, Collection<X509Certificate> anchors, Instant at) {
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
            Set<TrustAnchor> trust = anchors.stream().map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet());
            PKIXParameters params = new PKIXParameters(trust);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(path, params);
            return null;
        } catch (GeneralSecurityException e) {
            return e.toString();
        }
    }

    /** The extension OIDs of {@code cert} in DER order, each with a {@code !} when critical. */
    static List<String> extensionOrder(X509Certificate cert) throws Exception {
        Extensions exts = Certificate.getInstance(cert.getEncoded()).getTBSCertificate().getExtensions();
        List<String> order = new ArrayList<>();
        for (var oid : exts.getExtensionOIDs()) {
            Extension e = exts.getExtension(oid);
            order.add(oid.getId() + (e.isCritical() ? "!" : ""));
        }
        return order;
    }

    /** The DER of one extension's value, hex. */
    static String extensionHex(X509Certificate cert, String oid) throws Exception {
        byte[] octets = org.bouncycastle.asn1.ASN1OctetString.getInstance(cert.getExtensionValue(oid)).getOctets();
        return java.util.HexFormat.of().formatHex(octets);
    }

    /** The subject as {@code OID=tag:value} per RDN, in DER order (tag 19 PrintableString, 12 UTF8String). */
    static List<String> subject(X509Certificate cert) {
        return rdns(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()));
    }

    static List<String> issuer(X509Certificate cert) {
        return rdns(X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()));
    }

    private static List<String> rdns(X500Name name) {
        List<String> out = new ArrayList<>();
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                ASN1Encodable v = atv.getValue();
                ASN1Primitive p = v.toASN1Primitive();
                int tag = p instanceof org.bouncycastle.asn1.DERPrintableString ? 19
                        : p instanceof org.bouncycastle.asn1.DERUTF8String ? 12 : -1;
                out.add(atv.getType().getId() + "=" + tag + ":" + v);
            }
        }
        return out;
    }

    static List<X509Certificate> parseAll(String pem) throws Exception {
        return CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                .stream().map(c -> (X509Certificate) c).toList();
    }
}
