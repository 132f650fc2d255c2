package dev.svidauth.svid;

import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies an X.509-SVID chain presented over mutual TLS (SPIFFE X.509-SVID spec), in this order:
 * <ol>
 *   <li>a chain was presented ({@code no_certificate}), of at most {@link #MAX_CHAIN} certificates;</li>
 *   <li>the leaf has exactly one URI SAN ({@code bad_certificate}) that is a valid SPIFFE ID
 *       ({@code bad_spiffe_id}, the strict {@link SpiffeId} parser);</li>
 *   <li>the leaf is not a CA, sets digitalSignature and neither keyCertSign nor cRLSign
 *       (section 4.3), and lists clientAuth when it lists extended key usages (section 4.4); every key is RSA of at least 2048 bits or EC on P-256/P-384
 *       ({@code bad_certificate});</li>
 *   <li>every certificate is within its validity, with the clock skew
 *       ({@code certificate_expired}, {@code not_yet_valid});</li>
 *   <li>the chain verifies (PKIX, no revocation: SVIDs are short-lived) up to an X.509 authority
 *       of the SPIFFE ID's trust domain ({@code untrusted_certificate}); when it does not, one
 *       rate-limited refetch of the authorities, then one more try.</li>
 * </ol>
 */
public final class X509SvidVerifier {

    /** Longest chain accepted (leaf and intermediates); SPIRE's are 1 to 3. */
    public static final int MAX_CHAIN = 8;
    private static final int SAN_URI = 6;
    /** id-kp-clientAuth: when a leaf lists extended key usages, it must list this one (X.509-SVID spec section 4.4). */
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final Set<String> ALLOWED_CURVES = Set.of("secp256r1", "secp384r1", "1.2.840.10045.3.1.7",
            "1.3.132.0.34", "NIST P-256", "NIST P-384", "P-256", "P-384");

    private final Clock clock;
    private final VerifiedChainCache chains;

    /** A verifier that validates every presentation's path. */
    public X509SvidVerifier(Clock clock) {
        this(clock, VerifiedChainCache.DISABLED);
    }

    /** @param chains remembers chains that verified, so that a chain presented again skips the path validation */
    public X509SvidVerifier(Clock clock, VerifiedChainCache chains) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.chains = Objects.requireNonNull(chains, "chains");
    }

    /**
     * @param chain       leaf first, then the intermediates the client sent (may be null or empty)
     * @param skew        tolerance on notBefore/notAfter
     * @param authorities the X.509 authorities of the SPIFFE ID's trust domain
     */
    public VerifiedX509Svid verify(List<X509Certificate> chain, Duration skew, X509AuthoritySource authorities)
            throws SvidRejectedException {
        if (chain == null || chain.isEmpty()) {
            throw new SvidRejectedException(Reason.NO_CERTIFICATE,
                    "no client certificate was presented; an X.509-SVID client authenticates with mutual TLS");
        }
        if (chain.size() > MAX_CHAIN) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "client certificate chain has " + chain.size()
                    + " certificates; at most " + MAX_CHAIN + " are accepted");
        }
        X509Certificate leaf = chain.get(0);
        SpiffeId id = spiffeId(leaf);
        checkLeaf(leaf, id);
        for (int i = 0; i < chain.size(); i++) {
            checkKey(chain.get(i), i == 0 ? "leaf" : "intermediate " + i, id);
        }
        Date at = checkTime(chain, skew, id);
        List<X509Certificate> anchors = authorities.authorities(id);
        ByteBuffer key = chains.key(chain);
        long now = clock.millis();
        if (chains.verified(key, anchors, now)) {
            return new VerifiedX509Svid(id, leaf);
        }
        Pkix result = pkix(chain, anchors, at);
        if (result.failure() != null) {
            List<X509Certificate> newer = authorities.authoritiesAfterMiss(id, anchors);
            if (newer != null) {
                anchors = newer;
                result = pkix(chain, anchors, at);
            }
        }
        if (result.failure() != null) {
            throw new SvidRejectedException(Reason.UNTRUSTED_CERTIFICATE, "X.509-SVID of " + id
                    + " does not verify up to an X.509 authority of trust domain '" + id.trustDomain() + "' ("
                    + (anchors.isEmpty() ? "its bundle " + authorities + " publishes no x509-svid authority" : result.failure()) + ")");
        }
        chains.remember(key, chain, result.authority(), now);
        return new VerifiedX509Svid(id, leaf);
    }

    /** The one URI SAN of the leaf, parsed strictly. */
    public static SpiffeId spiffeId(X509Certificate leaf) throws SvidRejectedException {
        List<String> uris;
        try {
            uris = uriSans(leaf);
        } catch (CertificateParsingException e) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "client certificate has an unreadable subjectAltName");
        }
        if (uris.size() != 1) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "an X.509-SVID carries exactly one URI SAN; the client certificate has "
                    + uris.size() + (uris.isEmpty() ? "" : " " + Printable.printable(String.join(", ", uris))));
        }
        try {
            return SpiffeId.parse(uris.get(0));
        } catch (InvalidSpiffeIdException e) {
            throw new SvidRejectedException(Reason.BAD_SPIFFE_ID, "X.509-SVID URI SAN is not a valid SPIFFE ID: " + e.getMessage());
        }
    }

    /** The URI subject alternative names of a certificate, in order (none: empty). */
    public static List<String> uriSans(X509Certificate certificate) throws CertificateParsingException {
        Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
        List<String> uris = new ArrayList<>();
        if (sans != null) {
            for (List<?> san : sans) {
                if (san.size() >= 2 && Integer.valueOf(SAN_URI).equals(san.get(0))) {
                    uris.add(String.valueOf(san.get(1)));
                }
            }
        }
        return uris;
    }

    /**
     * X.509-SVID spec sections 4.1, 4.3 and 4.4: a leaf is no CA, signs, signs no certificate or
     * CRL, and when it restricts its extended key usages, TLS client authentication is one of them.
     */
    static void checkLeaf(X509Certificate leaf, SpiffeId id) throws SvidRejectedException {
        if (leaf.getBasicConstraints() != -1) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id
                    + " is a CA certificate (basicConstraints CA=true); a leaf SVID must not be a CA");
        }
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || ku.length < 1 || !ku[0]) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id + " lacks keyUsage digitalSignature");
        }
        if ((ku.length > 5 && ku[5]) || (ku.length > 6 && ku[6])) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id
                    + " sets keyUsage keyCertSign or cRLSign; a leaf SVID must not");
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id + " has an unreadable extendedKeyUsage");
        }
        if (eku != null && !eku.contains(CLIENT_AUTH)) {
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id
                    + " has an extendedKeyUsage without clientAuth; it may not authenticate a TLS client");
        }
    }

    /** RSA of at least 2048 bits, or EC on P-256 or P-384. */
    static void checkKey(X509Certificate cert, String which, SpiffeId id) throws SvidRejectedException {
        PublicKey key = cert.getPublicKey();
        if (key instanceof RSAPublicKey) {
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            if (bits < 2048) {
                throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id + ": the " + which + " has a "
                        + bits + "-bit RSA key; at least 2048 bits are required");
            }
            return;
        }
        if (key instanceof ECPublicKey) {
            String curve = curveName((ECPublicKey) key);
            if (curve != null && ALLOWED_CURVES.contains(curve)) {
                return;
            }
            throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id + ": the " + which
                    + " has an EC key on curve " + curve + "; only P-256 and P-384 are accepted");
        }
        throw new SvidRejectedException(Reason.BAD_CERTIFICATE, "X.509-SVID of " + id + ": the " + which + " has a "
                + key.getAlgorithm() + " key; only RSA (2048+) and EC (P-256, P-384) are accepted");
    }

    private static String curveName(ECPublicKey key) {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(key.getParams());
            return params.getParameterSpec(ECGenParameterSpec.class).getName();
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Every certificate within its validity, with skew; returns the instant PKIX validates at
     * (now, moved into every certificate's validity when the skew was needed).
     */
    private Date checkTime(List<X509Certificate> chain, Duration skew, SpiffeId id) throws SvidRejectedException {
        Instant now = clock.instant();
        Instant latestStart = Instant.MIN;
        Instant earliestEnd = Instant.MAX;
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            String which = i == 0 ? "X.509-SVID of " + id : "intermediate " + i + " of the X.509-SVID of " + id;
            Instant notAfter = c.getNotAfter().toInstant();
            Instant notBefore = c.getNotBefore().toInstant();
            if (now.minus(skew).isAfter(notAfter)) {
                throw new SvidRejectedException(Reason.CERTIFICATE_EXPIRED, which + " expired at " + notAfter);
            }
            if (now.plus(skew).isBefore(notBefore)) {
                throw new SvidRejectedException(Reason.NOT_YET_VALID, which + " is not valid before " + notBefore);
            }
            latestStart = notBefore.isAfter(latestStart) ? notBefore : latestStart;
            earliestEnd = notAfter.isBefore(earliestEnd) ? notAfter : earliestEnd;
        }
        Instant at = now.isBefore(latestStart) ? latestStart : now.isAfter(earliestEnd) ? earliestEnd : now;
        return Date.from(at);
    }

    /** A path validation's outcome: the authority the chain verified up to, or why it did not. */
    record Pkix(X509Certificate authority, String failure) {
        static Pkix failed(String why) {
            return new Pkix(null, why);
        }
    }

    /** The authority of {@code anchors} the chain verifies up to, or why it verifies up to none. */
    static Pkix pkix(List<X509Certificate> chain, List<X509Certificate> anchors, Date at) {
        if (anchors.isEmpty()) {
            return Pkix.failed("no authority");
        }
        Set<TrustAnchor> trust = new HashSet<>();
        for (X509Certificate a : anchors) {
            trust.add(new TrustAnchor(a, null));
        }
        // An authority the client sent along is the anchor, not part of the path.
        List<X509Certificate> path = new ArrayList<>(chain);
        while (path.size() > 1 && anchors.contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(trust);
            params.setRevocationEnabled(false);
            params.setDate(at);
            PKIXCertPathValidatorResult valid = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(certPath, params);
            return new Pkix(valid.getTrustAnchor().getTrustedCert(), null);
        } catch (CertPathValidatorException e) {
            return Pkix.failed(Printable.printable(String.valueOf(e.getMessage())));
        } catch (GeneralSecurityException e) {
            return Pkix.failed("the chain cannot be validated: " + Printable.printable(String.valueOf(e.getMessage())));
        }
    }
}
