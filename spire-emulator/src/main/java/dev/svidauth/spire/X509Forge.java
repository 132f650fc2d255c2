package dev.svidauth.spire;

import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

import java.security.KeyPair;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Deliberately defective X.509-SVIDs for attack tests. {@link #leaf(String)} starts from exactly
 * what the emulator would mint (SPIRE's workload template, signed by its current CA) and changes
 * only what the test asks for; {@link Defect} is the catalog of ready-made defects, each with the
 * one rule it breaks. Get one from {@link SpireEmulator#x509Forge()} (signs with that emulator's
 * CA, follows its clock), or {@link #standalone(String)} for a trust domain no emulator serves.
 *
 * <pre>{@code
 * X509Svid twoIds = spire.x509Forge().leaf("spiffe://example.org/w")
 *         .uriSans("spiffe://example.org/w", "spiffe://example.org/admin").mint();
 * X509Svid selfSigned = spire.x509Forge().defective(X509Forge.Defect.SELF_SIGNED, "spiffe://example.org/w");
 * }</pre>
 */
public final class X509Forge {

    /** {@code id-kp-serverAuth}. */
    public static final String SERVER_AUTH = KeyPurposeId.id_kp_serverAuth.getId();
    /** {@code id-kp-clientAuth}. */
    public static final String CLIENT_AUTH = KeyPurposeId.id_kp_clientAuth.getId();

    private static final Duration UNRELATED_CA_TTL = SpireEmulator.DEFAULT_CA_TTL;

    /** Key usage bits, for {@link ForgedLeaf#keyUsage(KeyUsageBit...)}. */
    public enum KeyUsageBit {
        DIGITAL_SIGNATURE(KeyUsage.digitalSignature), NON_REPUDIATION(KeyUsage.nonRepudiation),
        KEY_ENCIPHERMENT(KeyUsage.keyEncipherment), DATA_ENCIPHERMENT(KeyUsage.dataEncipherment),
        KEY_AGREEMENT(KeyUsage.keyAgreement), KEY_CERT_SIGN(KeyUsage.keyCertSign), CRL_SIGN(KeyUsage.cRLSign),
        ENCIPHER_ONLY(KeyUsage.encipherOnly), DECIPHER_ONLY(KeyUsage.decipherOnly);

        final int bit;

        KeyUsageBit(int bit) {
            this.bit = bit;
        }
    }

    private final String trustDomain;
    private final Supplier<X509Issuer> authority;
    private final Clock clock;
    private final Duration defaultTtl;

    X509Forge(String trustDomain, Supplier<X509Issuer> authority, Clock clock, Duration defaultTtl) {
        this.trustDomain = trustDomain;
        this.authority = authority;
        this.clock = clock;
        this.defaultTtl = defaultTtl;
    }

    /**
     * A forge with a SPIRE-shaped self-signed CA of its own for {@code trustDomain}, held by no
     * bundle, on the system clock: the X.509 side of a trust domain no emulator serves.
     */
    public static X509Forge standalone(String trustDomain) {
        X509Issuer own = unrelatedIssuer(trustDomain);
        return new X509Forge(trustDomain, () -> own, Clock.systemUTC(), SpireEmulator.DEFAULT_X509_SVID_TTL);
    }

    /** A fresh SPIRE-shaped self-signed CA of {@code trustDomain} (EC P-256, valid for a day from now) that no bundle holds. */
    public static X509Issuer unrelatedIssuer(String trustDomain) {
        return X509Authority.selfSigned(trustDomain, KeyType.EC_P256, Instant.now(), UNRELATED_CA_TTL).issuer;
    }

    /** {@link #unrelatedIssuer(String)} of this forge's trust domain, valid for a day from this forge's clock. */
    public X509Issuer unrelatedIssuer() {
        return unrelatedIssuerOf(trustDomain);
    }

    private X509Issuer unrelatedIssuerOf(String domain) {
        return X509Authority.selfSigned(domain, KeyType.EC_P256, clock.instant(), UNRELATED_CA_TTL).issuer;
    }

    /** The trust domain of this forge. */
    public String trustDomain() {
        return trustDomain;
    }

    /** The CA leaves are signed with unless told otherwise: the emulator's current CA. */
    public X509Issuer issuer() {
        return authority.get();
    }

    /**
     * An intermediate CA of this trust domain signed by {@code parent} (SPIRE's CA template, valid
     * for a day but not beyond {@code parent}); a leaf it signs presents the intermediate and then
     * {@code parent}'s chain.
     */
    public X509Issuer intermediate(X509Issuer parent) {
        KeyPair keys = GoX509.generate(KeyType.EC_P256);
        Instant now = clock.instant();
        Instant cap = parent.certificate().getNotAfter().toInstant();
        Instant notAfter = now.plus(UNRELATED_CA_TTL).isAfter(cap) ? cap : now.plus(UNRELATED_CA_TTL);
        GoX509.Template t = X509Authority.caTemplate(trustDomain, keys.getPublic(), now, notAfter);
        t.authorityKeyId = GoX509.subjectKeyIdOf(parent.certificate());
        X509Certificate cert = GoX509.create(t, GoX509.subjectOf(parent.certificate()), parent.privateKey());
        List<X509Certificate> chain = new ArrayList<>(List.of(cert));
        chain.addAll(parent.chain());
        return new X509Issuer(cert, keys.getPrivate(), chain);
    }

    /**
     * A CA with a new key that copies {@code genuine}'s subject and subject key identifier: what
     * it signs names the genuine CA as issuer, by name and by key id, but does not verify with
     * its key.
     */
    public X509Issuer impostorOf(X509Issuer genuine) {
        KeyPair keys = GoX509.generate(KeyType.EC_P256);
        X509Certificate real = genuine.certificate();
        GoX509.Template t = X509Authority.caTemplate(trustDomain, keys.getPublic(), clock.instant(),
                real.getNotAfter().toInstant());
        t.subject = GoX509.subjectOf(real);
        t.subjectKeyId = GoX509.subjectKeyIdOf(real);
        t.notBefore = real.getNotBefore().toInstant();
        return new X509Issuer(GoX509.create(t, t.subject, keys.getPrivate()), keys.getPrivate(), List.of());
    }

    /** Starts a leaf for {@code spiffeId} exactly as the emulator would mint it; change what the test needs, then {@link ForgedLeaf#mint()}. */
    public ForgedLeaf leaf(String spiffeId) {
        return new ForgedLeaf(this, spiffeId);
    }

    Clock clock() {
        return clock;
    }

    Duration defaultTtl() {
        return defaultTtl;
    }

    /** The catalog's {@code defect} applied to an SVID for {@code spiffeId}. */
    public X509Svid defective(Defect defect, String spiffeId) {
        return defect.forge(this, spiffeId);
    }

    /** {@code cert} with the last byte of its signature changed (still parses, no longer verifies). */
    static X509Certificate corrupt(X509Certificate cert) {
        try {
            byte[] der = cert.getEncoded();
            der[der.length - 1] ^= 0x01;
            return GoX509.parse(der);
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The catalog: each constant breaks one rule of an X.509-SVID and is otherwise what SPIRE mints. */
    public enum Defect {
        /** Self-signed with the right SPIFFE ID: no authority of the bundle issued it. */
        SELF_SIGNED((f, id) -> f.leaf(id).selfSigned().mint()),
        /** Two URI SANs, the SPIFFE ID and another of the trust domain (X.509-SVID spec 2: exactly one). */
        TWO_URI_SANS((f, id) -> f.leaf(id).uriSans(id, "spiffe://" + f.trustDomain + "/admin").mint()),
        /** One URI SAN that is not a SPIFFE ID ({@code https://<trust domain>/<path>}). */
        NON_SPIFFE_URI_SAN((f, id) -> f.leaf(id).uriSans(id.replaceFirst("^spiffe://", "https://")).mint()),
        /** No URI SAN at all, a DNS SAN only. */
        NO_URI_SAN((f, id) -> f.leaf(id).uriSans().dnsNames("workload." + f.trustDomain).mint()),
        /** Basic constraints {@code CA:TRUE} on the leaf (spec 4.1). */
        CA_LEAF((f, id) -> f.leaf(id).ca(true).mint()),
        /** Key usage without digitalSignature (spec 4.3: a leaf must set it). */
        NO_DIGITAL_SIGNATURE((f, id) -> f.leaf(id).keyUsage(KeyUsageBit.KEY_ENCIPHERMENT, KeyUsageBit.KEY_AGREEMENT).mint()),
        /** Key usage with keyCertSign and cRLSign besides digitalSignature (spec 4.3: a leaf must not set them). */
        KEY_CERT_SIGN((f, id) -> f.leaf(id).keyUsage(KeyUsageBit.DIGITAL_SIGNATURE, KeyUsageBit.KEY_CERT_SIGN,
                KeyUsageBit.CRL_SIGN).mint()),
        /** Extended key usage serverAuth only: no clientAuth, so not for a TLS client. */
        NO_CLIENT_AUTH((f, id) -> f.leaf(id).extendedKeyUsage(SERVER_AUTH).mint()),
        /** Valid from two hours ago until one hour ago. */
        EXPIRED((f, id) -> {
            Instant now = f.clock.instant();
            return f.leaf(id).validity(now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1))).mint();
        }),
        /** Valid from in one hour until in two hours. */
        NOT_YET_VALID((f, id) -> {
            Instant now = f.clock.instant();
            return f.leaf(id).validity(now.plus(Duration.ofHours(1)), now.plus(Duration.ofHours(2))).mint();
        }),
        /** An RSA 1024 leaf key. */
        WEAK_RSA_1024((f, id) -> f.leaf(id).rsaKey(1024).mint()),
        /** An EC P-521 leaf key, a curve SPIRE never uses. */
        EC_P521((f, id) -> f.leaf(id).ecKey("secp521r1").mint()),
        /** Signed by a SPIRE-shaped CA of the same trust domain that no bundle holds. */
        UNRELATED_CA((f, id) -> f.leaf(id).signedBy(f.unrelatedIssuer()).mint()),
        /** Signed by an intermediate under a root no bundle holds; the chain presents leaf and intermediate. */
        UNRELATED_INTERMEDIATE((f, id) -> f.leaf(id).signedBy(f.intermediate(f.unrelatedIssuer())).mint()),
        /** Signed by a CA that copies the trust domain CA's subject and key id with another key. */
        IMPOSTOR_CA((f, id) -> f.leaf(id).signedBy(f.impostorOf(f.issuer())).mint()),
        /** Genuine but for one changed byte of its signature. */
        BAD_SIGNATURE((f, id) -> f.leaf(id).corruptSignature().mint()),
        /** The SPIFFE ID moved to another trust domain ({@code other-<trust domain>}), signed by this trust domain's CA. */
        FOREIGN_SPIFFE_ID((f, id) -> f.leaf(id).uriSans(otherTrustDomainId(f, id)).mint()),
        /**
         * A genuine SVID of another trust domain ({@code other-<trust domain>}, same path) from that
         * trust domain's own CA, as another SPIRE (or emulator) would mint it.
         */
        OTHER_TRUST_DOMAIN((f, id) -> {
            String other = otherTrustDomainId(f, id);
            String domain = other.substring("spiffe://".length(), other.indexOf('/', "spiffe://".length()));
            X509Issuer ca = f.unrelatedIssuerOf(domain);
            return new X509Forge(domain, () -> ca, f.clock, f.defaultTtl).leaf(other).mint();
        }),
        /** A leaf under eight intermediates that all chain up to the trust domain's CA: nine or more certificates. */
        CHAIN_TOO_LONG((f, id) -> {
            X509Issuer issuer = f.issuer();
            for (int i = 0; i < 8; i++) {
                issuer = f.intermediate(issuer);
            }
            return f.leaf(id).signedBy(issuer).mint();
        });

        private final java.util.function.BiFunction<X509Forge, String, X509Svid> recipe;

        Defect(java.util.function.BiFunction<X509Forge, String, X509Svid> recipe) {
            this.recipe = recipe;
        }

        /** An SVID for {@code spiffeId} with this defect, from {@code forge}. */
        public X509Svid forge(X509Forge forge, String spiffeId) {
            return recipe.apply(forge, spiffeId);
        }

        private static String otherTrustDomainId(X509Forge f, String id) {
            String prefix = "spiffe://" + f.trustDomain;
            if (!id.startsWith(prefix + "/")) {
                throw new IllegalArgumentException(id + " is not a workload of " + f.trustDomain);
            }
            return "spiffe://other-" + f.trustDomain + id.substring(prefix.length());
        }
    }
}
