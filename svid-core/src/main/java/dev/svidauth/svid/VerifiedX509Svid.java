package dev.svidauth.svid;

import dev.svidauth.spiffe.SpiffeId;

import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An X.509-SVID chain that passed every check. It hands on the SPIFFE ID only (an X.509-SVID has
 * no claims): the notes {@code svid.sub}, {@code svid.trust_domain}, {@code svid.path}.
 */
public final class VerifiedX509Svid {

    private final SpiffeId spiffeId;
    private final X509Certificate leaf;

    VerifiedX509Svid(SpiffeId spiffeId, X509Certificate leaf) {
        this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
        this.leaf = Objects.requireNonNull(leaf, "leaf");
    }

    public SpiffeId spiffeId() {
        return spiffeId;
    }

    public X509Certificate leaf() {
        return leaf;
    }

    /** The SPIFFE-ID notes of the public contract (no {@code svid.iss}, {@code svid.kid}, {@code svid.claims}). */
    public Map<String, String> notes() {
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put(VerifiedJwtSvid.NOTE_SUB, spiffeId.toString());
        notes.put(VerifiedJwtSvid.NOTE_TRUST_DOMAIN, spiffeId.trustDomain());
        notes.put(VerifiedJwtSvid.NOTE_PATH, spiffeId.path());
        return notes;
    }
}
