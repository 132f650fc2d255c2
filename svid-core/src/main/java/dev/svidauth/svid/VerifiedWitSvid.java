package dev.svidauth.svid;

import dev.svidauth.spiffe.SpiffeId;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A WIT-SVID whose signature, validity and proof of possession were verified. Its notes for the
 * claim mapper have the names of {@link VerifiedJwtSvid}'s, so that one mapper serves both kinds.
 */
public final class VerifiedWitSvid {

    private final ParsedWitSvid wit;
    private final String keyId;

    VerifiedWitSvid(ParsedWitSvid wit, String keyId) {
        this.wit = Objects.requireNonNull(wit, "wit");
        this.keyId = keyId;
    }

    public ParsedWitSvid wit() {
        return wit;
    }

    public SpiffeId spiffeId() {
        return wit.spiffeId();
    }

    /** The kid of the bundle's {@code wit-svid} key that verified the WIT-SVID. */
    public String keyId() {
        return keyId;
    }

    /** The client-session notes handed to this client's mappers ({@code svid.sub}, {@code svid.claims}, …). */
    public Map<String, String> notes() {
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put(VerifiedJwtSvid.NOTE_SUB, wit.spiffeId().toString());
        if (wit.issuer() != null) {
            notes.put(VerifiedJwtSvid.NOTE_ISS, wit.issuer());
        }
        notes.put(VerifiedJwtSvid.NOTE_TRUST_DOMAIN, wit.spiffeId().trustDomain());
        notes.put(VerifiedJwtSvid.NOTE_PATH, wit.spiffeId().path());
        notes.put(VerifiedJwtSvid.NOTE_KID, keyId);
        notes.put(VerifiedJwtSvid.NOTE_CLAIMS, wit.claimsJson());
        return notes;
    }
}
