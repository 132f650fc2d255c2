package dev.svidauth.svid;

import dev.svidauth.keys.VerificationKey;

import java.util.List;

/**
 * Remembers which key verified the signature of an SVID, so that the same SVID presented again
 * does not pay for the public-key operation again: SPIRE agents cache an SVID and present it
 * until it nears expiry, and an ECDSA check costs far more than everything else a token request
 * does for it.
 *
 * <p>Only the signature check and the parse are skipped, and only for the byte-identical token:
 * client resolution, issuer, audience, time, algorithm allowlist and replay checks run on every
 * presentation. A remembered verification counts only while the very key object that verified it
 * is still among the keys the client's key source offers now, so a key that was withdrawn,
 * refetched or belongs to another client's key source leads to a fresh check. Entries end with
 * the SVID's {@code exp} (plus clock skew); the number of entries ({@link ExpiringGenerations}:
 * SVIDs still presented stay, one-time ones fall out) and the token length are bounded, and only
 * tokens whose signature verified are ever stored ({@link SignatureMemo}).
 */
public final class VerifiedJwtSignatureCache {

    /** No caching: every presentation is verified. */
    public static final VerifiedJwtSignatureCache DISABLED = new VerifiedJwtSignatureCache(0);

    /** Tokens longer than this are not remembered (SPIRE's SVIDs are well under 2 KiB). */
    static final int MAX_TOKEN_LENGTH = SignatureMemo.MAX_TOKEN_LENGTH;

    private final SignatureMemo<ParsedJwtSvid> memo;

    /** @param maxEntries at most this many SVIDs remembered; 0 disables the cache */
    public VerifiedJwtSignatureCache(int maxEntries) {
        this.memo = new SignatureMemo<>(maxEntries);
    }

    public boolean enabled() {
        return memo.enabled();
    }

    public int size() {
        return memo.size();
    }

    /** The parse of this exact token kept with its verified signature ({@link SignatureMemo#parsed}); else null. */
    ParsedJwtSvid parsed(String token, long nowMillis) {
        return memo.parsed(token, nowMillis);
    }

    /** The candidate that verified this exact token before, if it is still a candidate; else null (the parse is kept from now on). */
    VerificationKey verifiedBy(ParsedJwtSvid svid, List<VerificationKey> candidates, long nowMillis) {
        return memo.verifiedBy(svid.token(), svid, candidates, nowMillis);
    }

    /** Records that {@code key} verified the signature of {@code svid}. */
    void remember(ParsedJwtSvid svid, VerificationKey key, long expiresAtMillis, long nowMillis) {
        memo.remember(svid.token(), key, expiresAtMillis, nowMillis);
    }

    public void clear() {
        memo.clear();
    }
}
