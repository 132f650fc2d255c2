package dev.svidauth.keys;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The usable keys of one key-source document, in either format. Immutable. */
public final class KeySet {

    /** Which of the two formats a key source served; detected from the document. */
    public enum Format {
        /** A JWKS as served by the SPIRE OIDC Discovery Provider ({@code /keys}). */
        JWKS,
        /** A SPIFFE trust bundle (SPIFFE Trust Domain and Bundle spec, section 4). */
        SPIFFE_BUNDLE
    }

    private final List<VerificationKey> keys;
    private final Format format;
    private final Duration refreshHint;
    private final List<String> skipped;
    private final List<X509Certificate> x509Authorities;
    private final Set<String> trustDomains;
    private final List<VerificationKey> witKeys;

    KeySet(List<VerificationKey> keys, Format format, Duration refreshHint, List<String> skipped) {
        this(keys, format, refreshHint, skipped, List.of(), Set.of());
    }

    KeySet(List<VerificationKey> keys, Format format, Duration refreshHint, List<String> skipped,
           List<X509Certificate> x509Authorities, Set<String> trustDomains) {
        this(keys, format, refreshHint, skipped, x509Authorities, trustDomains, List.of());
    }

    KeySet(List<VerificationKey> keys, Format format, Duration refreshHint, List<String> skipped,
           List<X509Certificate> x509Authorities, Set<String> trustDomains, List<VerificationKey> witKeys) {
        this.witKeys = List.copyOf(witKeys);
        this.x509Authorities = List.copyOf(x509Authorities);
        this.keys = Collections.unmodifiableList(new ArrayList<>(keys));
        this.format = format;
        this.refreshHint = refreshHint;
        this.skipped = Collections.unmodifiableList(new ArrayList<>(skipped));
        this.trustDomains = Set.copyOf(trustDomains);
    }

    /**
     * The trust domains a SPIFFE bundle names: those of the SPIFFE IDs (URI SANs) of its
     * {@code x509-svid} authorities. Empty for a JWKS, or a bundle without X.509 authorities.
     */
    public Set<String> trustDomains() {
        return trustDomains;
    }

    public List<VerificationKey> keys() {
        return keys;
    }

    public Format format() {
        return format;
    }

    /** {@code spiffe_refresh_hint}, for bundles that carry one. */
    public Optional<Duration> refreshHint() {
        return Optional.ofNullable(refreshHint);
    }

    /** The bundle's X.509 authorities ({@code use: x509-svid}); empty for a JWKS. */
    public List<X509Certificate> x509Authorities() {
        return x509Authorities;
    }

    /** Why some published keys were not taken, one line each (logged at debug level). */
    public List<String> skipped() {
        return skipped;
    }

    /**
     * The bundle's WIT-SVID keys ({@code use: wit-svid}), kept apart from the JWT-SVID keys of
     * {@link #keys()}: a JWT-SVID is never verified with one of them, nor a WIT-SVID with a JWT-SVID
     * key (SPIFFE WIT-SVID spec section 6.2). Empty for a JWKS, and for a bundle of a trust domain
     * that issues no WIT-SVIDs.
     */
    public List<VerificationKey> witKeys() {
        return witKeys;
    }

    /** The WIT-SVID key with this {@code kid} (a WIT-SVID always names its key), in a list of at most one. */
    public List<VerificationKey> witCandidates(String kid) {
        List<VerificationKey> out = new ArrayList<>(1);
        for (VerificationKey k : witKeys) {
            if (k.kid() != null && k.kid().equals(kid)) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * The keys that may verify a signature with {@code alg}: the one with {@code kid} when a kid
     * is given, else every compatible key.
     */
    public List<VerificationKey> candidates(String kid, String alg) {
        List<VerificationKey> out = new ArrayList<>(1);
        for (VerificationKey k : keys) {
            if (kid != null ? kid.equals(k.kid()) : k.canVerify(alg)) {
                out.add(k);
            }
        }
        return out;
    }
}
