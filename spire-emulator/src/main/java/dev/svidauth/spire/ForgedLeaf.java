package dev.svidauth.spire;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One leaf to forge, from {@link X509Forge#leaf(String)}: without changes it is exactly what the
 * emulator would mint (SPIRE's workload template, signed by the forge's CA); each method changes
 * one thing, for attack tests. Not thread-safe.
 */
public final class ForgedLeaf {
    private final X509Forge forge;
    private final String spiffeId;
    private List<String> uris;
    private List<String> dnsNames = List.of();
    private X500Name subject;
    private Boolean ca;
    private boolean basicConstraints = true;
    private Integer keyUsage;
    private List<KeyPurposeId> extKeyUsage;
    private Instant notBefore;
    private Instant notAfter;
    private Duration ttl;
    private KeyPair keys;
    private boolean selfSigned;
    private X509Issuer signer;
    private List<X509Certificate> chainOverride;
    private final List<X509Certificate> appended = new ArrayList<>();
    private boolean subjectKeyId = true;
    private boolean authorityKeyId = true;
    private boolean corruptSignature;

    ForgedLeaf(X509Forge forge, String spiffeId) {
        this.forge = forge;
        this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
    }

    /** Replaces the URI SANs (none, one, several; any strings). */
    public ForgedLeaf uriSans(String... uris) {
        this.uris = List.of(uris);
        return this;
    }

    /** Adds DNS SANs; the first becomes the subject's CN, as SPIRE does. */
    public ForgedLeaf dnsNames(String... dnsNames) {
        this.dnsNames = List.of(dnsNames);
        return this;
    }

    /** Replaces the subject (an RFC 4514 string, most significant last, e.g. {@code CN=admin,O=SPIRE}). */
    public ForgedLeaf subject(String dn) {
        this.subject = X500Name.getInstance(new javax.security.auth.x500.X500Principal(dn).getEncoded());
        return this;
    }

    /** Basic constraints with {@code CA:TRUE} or {@code CA:FALSE} (SPIRE: false). */
    public ForgedLeaf ca(boolean ca) {
        this.ca = ca;
        return this;
    }

    /** Leaves the basic constraints extension out. */
    public ForgedLeaf withoutBasicConstraints() {
        this.basicConstraints = false;
        return this;
    }

    /** Replaces the key usage bits (SPIRE: digitalSignature, keyEncipherment, keyAgreement). */
    public ForgedLeaf keyUsage(X509Forge.KeyUsageBit... bits) {
        this.keyUsage = Arrays.stream(bits).mapToInt(b -> b.bit).reduce(0, (a, b) -> a | b);
        return this;
    }

    /** Leaves the key usage extension out. */
    public ForgedLeaf withoutKeyUsage() {
        this.keyUsage = 0;
        return this;
    }

    /** Replaces the extended key usages (OIDs such as {@link X509Forge#SERVER_AUTH}; none leaves the extension out). */
    public ForgedLeaf extendedKeyUsage(String... oids) {
        this.extKeyUsage = Arrays.stream(oids).map(o -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(o))).toList();
        return this;
    }

    /** Sets notBefore and notAfter outright (no cap at the CA's notAfter). */
    public ForgedLeaf validity(Instant notBefore, Instant notAfter) {
        this.notBefore = notBefore;
        this.notAfter = notAfter;
        return this;
    }

    /** Lifetime from now, capped at the issuer's notAfter as SPIRE caps it; default the emulator's X.509-SVID TTL. */
    public ForgedLeaf ttl(Duration ttl) {
        this.ttl = ttl;
        return this;
    }

    /** The leaf key: a fresh one of {@code type} (default EC P-256). */
    public ForgedLeaf key(KeyType type) {
        this.keys = GoX509.generate(type);
        return this;
    }

    /** The leaf key: a fresh RSA key of {@code bits} (1024 for a weak key). */
    public ForgedLeaf rsaKey(int bits) {
        this.keys = GoX509.rsa(bits);
        return this;
    }

    /** The leaf key: a fresh EC key on {@code curve} ({@code secp256r1}, {@code secp384r1}, {@code secp521r1}). */
    public ForgedLeaf ecKey(String curve) {
        this.keys = GoX509.ec(curve);
        return this;
    }

    /** The leaf key: this pair. */
    public ForgedLeaf keyPair(KeyPair keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
        return this;
    }

    /** Signs the leaf with its own key: issuer = subject, no authority key identifier, chain = the leaf. */
    public ForgedLeaf selfSigned() {
        this.selfSigned = true;
        return this;
    }

    /** Signs with {@code issuer} instead of the forge's CA; the chain follows the issuer's. */
    public ForgedLeaf signedBy(X509Issuer issuer) {
        this.signer = Objects.requireNonNull(issuer, "issuer");
        return this;
    }

    /** Presents exactly these certificates after the leaf, instead of the issuer's chain. */
    public ForgedLeaf chain(X509Certificate... above) {
        this.chainOverride = List.of(above);
        return this;
    }

    /** Presents these certificates after the issuer's chain. */
    public ForgedLeaf append(X509Certificate... more) {
        appended.addAll(List.of(more));
        return this;
    }

    /** Leaves the subject key identifier out. */
    public ForgedLeaf withoutSubjectKeyId() {
        this.subjectKeyId = false;
        return this;
    }

    /** Leaves the authority key identifier out. */
    public ForgedLeaf withoutAuthorityKeyId() {
        this.authorityKeyId = false;
        return this;
    }

    /** Changes the last byte of the leaf's signature after signing. */
    public ForgedLeaf corruptSignature() {
        this.corruptSignature = true;
        return this;
    }

    /** Builds and signs the leaf. */
    public X509Svid mint() {
        KeyPair leafKeys = keys != null ? keys : GoX509.generate(KeyType.EC_P256);
        X509Issuer by = selfSigned ? null : signer != null ? signer : forge.issuer();
        GoX509.Template t = X509Authority.workloadTemplate(by == null ? null : by.certificate(), spiffeId,
                leafKeys.getPublic(), dnsNames, ttl != null ? ttl : forge.defaultTtl(), forge.clock().instant(), false);
        apply(t);
        X509Certificate leaf = by == null
                ? GoX509.create(t, t.subject, leafKeys.getPrivate())
                : GoX509.create(t, GoX509.subjectOf(by.certificate()), by.privateKey());
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(corruptSignature ? X509Forge.corrupt(leaf) : leaf);
        chain.addAll(chainOverride != null ? chainOverride : by == null ? List.of() : by.chain());
        chain.addAll(appended);
        return new X509Svid(chain, leafKeys.getPrivate());
    }

    private void apply(GoX509.Template t) {
        if (uris != null) {
            t.uris = new ArrayList<>(uris);
        }
        if (subject != null) {
            t.subject = subject;
        }
        if (ca != null) {
            t.ca = ca;
        }
        t.basicConstraints = basicConstraints;
        if (keyUsage != null) {
            t.keyUsage = keyUsage;
        }
        if (extKeyUsage != null) {
            t.extKeyUsage = new ArrayList<>(extKeyUsage);
        }
        if (notBefore != null) {
            t.notBefore = notBefore;
            t.notAfter = notAfter;
        }
        if (!subjectKeyId) {
            t.subjectKeyId = null;
        }
        if (!authorityKeyId || selfSigned) {
            t.authorityKeyId = null;
        }
    }
}
