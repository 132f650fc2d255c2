package dev.svidauth.svid;

import dev.svidauth.spiffe.SpiffeId;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An SVID that passed every check, and what it hands on to protocol mappers as notes of the
 * client session of the client it authenticated.
 */
public final class VerifiedJwtSvid {

    /** Note: the SPIFFE ID. */
    public static final String NOTE_SUB = "svid.sub";
    /** Note: the iss claim (absent when the SVID had none). */
    public static final String NOTE_ISS = "svid.iss";
    /** Note: the trust domain of the SPIFFE ID. */
    public static final String NOTE_TRUST_DOMAIN = "svid.trust_domain";
    /** Note: the path of the SPIFFE ID. */
    public static final String NOTE_PATH = "svid.path";
    /** Note: the kid of the key that verified the SVID. */
    public static final String NOTE_KID = "svid.kid";
    /** Note: every SVID claim as a JSON object. */
    public static final String NOTE_CLAIMS = "svid.claims";

    private final ParsedJwtSvid svid;
    private final String keyId;

    VerifiedJwtSvid(ParsedJwtSvid svid, String keyId) {
        this.svid = svid;
        this.keyId = keyId;
    }

    public SpiffeId spiffeId() {
        return svid.spiffeId();
    }

    public ParsedJwtSvid svid() {
        return svid;
    }

    /** kid of the verifying key (the header kid, or the matching key's kid when the header had none). */
    public String keyId() {
        return keyId;
    }

    /** The notes of the public contract, handed to the mappers of the client this SVID authenticated. */
    public Map<String, String> notes() {
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put(NOTE_SUB, svid.spiffeId().toString());
        if (svid.issuer() != null) {
            notes.put(NOTE_ISS, svid.issuer());
        }
        notes.put(NOTE_TRUST_DOMAIN, svid.spiffeId().trustDomain());
        notes.put(NOTE_PATH, svid.spiffeId().path());
        if (keyId != null) {
            notes.put(NOTE_KID, keyId);
        }
        notes.put(NOTE_CLAIMS, svid.claimsJson());
        return notes;
    }
}
