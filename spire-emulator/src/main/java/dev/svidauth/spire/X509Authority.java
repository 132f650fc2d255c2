package dev.svidauth.spire;

import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One X.509 CA of SPIRE Server (one slot of its CA manager), built from SPIRE 1.15's templates in
 * {@code pkg/server/credtemplate/builder.go}:
 * <ul>
 *   <li>the CA ({@code buildX509CATemplate}): subject {@code C=US, O=SPIFFE,
 *       SERIALNUMBER=<serial>}, URI SAN {@code spiffe://<trust domain>}, basic constraints
 *       {@code CA:TRUE} without a path length, key usage {@code keyCertSign, cRLSign}, a subject key
 *       identifier, notBefore now − 10 s, notAfter now + {@code ca_ttl}. Without an upstream
 *       authority it is self-signed ({@code selfSignX509CA} in {@code pkg/server/ca/manager/manager.go})
 *       and is itself the bundle's authority; with one it is an intermediate signed by the
 *       upstream root as the {@code disk} UpstreamAuthority signs it ({@code UpstreamCA.SignCSR},
 *       {@code pkg/common/x509svid/upstreamca.go}: notAfter capped at the root's, the CSR's
 *       extensions, the root's key id as authority key identifier), and the root is the bundle's
 *       authority;</li>
 *   <li>the X.509-SVIDs it signs ({@code BuildWorkloadX509SVIDTemplate}): subject {@code C=US,
 *       O=SPIRE} (plus {@code CN=<first DNS name>} when DNS names are asked for, and
 *       {@code x500UniqueIdentifier} only with SPIRE's optional {@code uniqueid} credential composer,
 *       which SPIRE 1.9 stopped adding by default), exactly one URI SAN (the SPIFFE ID),
 *       basic constraints {@code CA:FALSE}, key usage {@code digitalSignature, keyEncipherment,
 *       keyAgreement}, extended key usage {@code serverAuth, clientAuth}, subject and authority
 *       key identifiers, notBefore now − 10 s and notAfter the lesser of now + TTL and the CA's
 *       notAfter ({@code computeCappedLifetime}).</li>
 * </ul>
 * A leaf's chain is the leaf followed by the CA's upstream chain ({@code makeCertChain} in
 * {@code pkg/server/ca/ca.go}): the leaf alone when the CA is self-signed, leaf and intermediate
 * otherwise.
 */
final class X509Authority {

    enum Status { PREPARED, ACTIVE, OLD }

    /** The CA certificate, its key and what a leaf it signs presents after itself. */
    final X509Issuer issuer;
    /** The bundle authorities this CA needs: itself when self-signed, else the upstream root. */
    final X509Certificate bundleAuthority;
    /** When the slot was prepared (SPIRE's {@code slot.issuedAt}); the rotation thresholds count from here. */
    final Instant issuedAt;
    Status status = Status.PREPARED;

    private X509Authority(X509Issuer issuer, X509Certificate bundleAuthority, Instant issuedAt) {
        this.issuer = issuer;
        this.bundleAuthority = bundleAuthority;
        this.issuedAt = issuedAt;
    }

    /** A self-signed CA, as SPIRE prepares one without an upstream authority. */
    static X509Authority selfSigned(String trustDomain, KeyType keyType, Instant now, Duration ttl) {
        KeyPair keys = GoX509.generate(keyType);
        GoX509.Template t = caTemplate(trustDomain, keys.getPublic(), now, now.plus(ttl));
        X509Certificate cert = GoX509.create(t, t.subject, keys.getPrivate());
        return new X509Authority(new X509Issuer(cert, keys.getPrivate(), List.of()), cert, now);
    }

    /** An intermediate CA signed by {@code upstream}, as SPIRE prepares one with the {@code disk} UpstreamAuthority. */
    static X509Authority upstreamSigned(String trustDomain, KeyType keyType, Instant now, Duration ttl,
                                        X509Issuer upstream) {
        KeyPair keys = GoX509.generate(keyType);
        Instant rootNotAfter = upstream.certificate().getNotAfter().toInstant();
        Instant notAfter = now.plus(ttl).isAfter(rootNotAfter) ? rootNotAfter : now.plus(ttl);
        GoX509.Template t = caTemplate(trustDomain, keys.getPublic(), now, notAfter);
        t.authorityKeyId = GoX509.subjectKeyIdOf(upstream.certificate());
        X509Certificate cert = GoX509.create(t, GoX509.subjectOf(upstream.certificate()), upstream.privateKey());
        return new X509Authority(new X509Issuer(cert, keys.getPrivate(), List.of(cert)), upstream.certificate(), now);
    }

    /**
     * SPIRE's {@code buildX509CATemplate}; the subject's SERIALNUMBER is the template's serial (for
     * the upstream-signed CA that of the CSR's template, so it differs from the final serial, as in SPIRE).
     */
    static GoX509.Template caTemplate(String trustDomain, PublicKey key, Instant now, Instant notAfter) {
        GoX509.Template t = new GoX509.Template();
        t.subject = GoX509.name(BCStyle.C, "US", BCStyle.O, "SPIFFE", BCStyle.SERIALNUMBER, t.serial.toString());
        t.publicKey = key;
        t.notBefore = now.minus(GoX509.NOT_BEFORE_CUSHION);
        t.notAfter = notAfter;
        t.keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
        t.ca = true;
        t.subjectKeyId = GoX509.subjectKeyId(key);
        t.uris.add("spiffe://" + trustDomain);
        return t;
    }

    /**
     * SPIRE's {@code BuildWorkloadX509SVIDTemplate} for a leaf signed by {@code parent} (null: no
     * parent, so neither a cap on notAfter nor an authority key identifier).
     */
    static GoX509.Template workloadTemplate(X509Certificate parent, String spiffeId, PublicKey key,
                                            List<String> dnsNames, Duration ttl, Instant now, boolean uniqueId) {
        GoX509.Template t = new GoX509.Template();
        List<Object> subject = new ArrayList<>(List.of(BCStyle.C, "US", BCStyle.O, "SPIRE"));
        if (!dnsNames.isEmpty()) {
            subject.addAll(List.of(BCStyle.CN, dnsNames.get(0)));
        }
        if (uniqueId) {
            subject.addAll(List.of(GoX509.UNIQUE_IDENTIFIER, uniqueIdValue(spiffeId)));
        }
        t.subject = GoX509.name(subject.toArray());
        t.publicKey = key;
        t.notBefore = now.minus(GoX509.NOT_BEFORE_CUSHION);
        t.notAfter = now.plus(ttl);
        if (parent != null && t.notAfter.isAfter(parent.getNotAfter().toInstant())) {
            t.notAfter = parent.getNotAfter().toInstant();
        }
        t.keyUsage = KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement;
        t.extKeyUsage.addAll(List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth));
        t.subjectKeyId = GoX509.subjectKeyId(key);
        t.authorityKeyId = parent == null ? null : GoX509.subjectKeyIdOf(parent);
        t.dnsNames.addAll(dnsNames);
        t.uris.add(spiffeId);
        return t;
    }

    /**
     * SPIRE's {@code calculateUniqueIDValue}: the hex of the first 16 bytes of the SHA-256 of the
     * SPIFFE ID ({@code pkg/common/x509svid/uniqueid.go}).
     */
    static String uniqueIdValue(String spiffeId) {
        try {
            byte[] sum = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(spiffeId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sum, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    X509Certificate certificate() {
        return issuer.certificate();
    }

    Instant notAfter() {
        return issuer.certificate().getNotAfter().toInstant();
    }

    /**
     * SPIRE's {@code preparationThreshold} ({@code pkg/server/ca/manager/slot.go}): the next CA is
     * prepared once now is after notAfter − min(lifetime / 2, 30 days), the lifetime counted from
     * {@link #issuedAt}.
     */
    Instant preparationThreshold() {
        return threshold(2, Duration.ofDays(30));
    }

    /**
     * SPIRE's {@code keyActivationThreshold}: the next CA is activated once now is after
     * notAfter − min(lifetime / 6, 7 days).
     */
    Instant activationThreshold() {
        return threshold(6, Duration.ofDays(7));
    }

    private Instant threshold(int divisor, Duration cap) {
        Duration part = Duration.between(issuedAt, notAfter()).dividedBy(divisor);
        return notAfter().minus(part.compareTo(cap) > 0 ? cap : part);
    }
}
