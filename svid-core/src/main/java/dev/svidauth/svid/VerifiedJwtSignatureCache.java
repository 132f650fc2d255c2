package dev.svidauth.svid;

import dev.svidauth.keys.VerificationKey;

import java.util.List;

/**
 * Remembers which key verified the signature of an SVID, so that the same SVID presented again
 * does not pay for the public-key operation again: SPIRE agents cache an SVID and present it
 * until it nears expiry, and an ECDSA check costs far more than everything else a token request
 * does for it.
 *
 * <p>Only the signature check is skipped, and only for the byte-identical token: parsing, client
 * resolution, issuer, audience, time, algorithm allowlist and replay checks run on every
 * presentation. A remembered verification counts only while the very key object that verified it
 * is still among the keys the client's key source offers now, so a key that was withdrawn,
 * refetched or belongs to another client's key source leads to a fresh check. Entries end with
 * the SVID's {@code exp} (plus clock skew); the number of entries ({@link ExpiringGenerations}:
 * SVIDs still presented stay, one-time ones fall out) and the token length are bounded, and only
 * tokens whose signature verified are ever stored.
 */
public final class VerifiedJwtSignatureCache {

    /** No caching: every presentation is verified. */
    public static final VerifiedJwtSignatureCache DISABLED = new VerifiedJwtSignatureCache(0);

    /** Tokens longer than this are not remembered (SPIRE's SVIDs are well under 2 KiB). */
    static final int MAX_TOKEN_LENGTH = 8 * 1024;

    private final int maxEntries;
    private final ExpiringGenerations<String, Entry> entries;

    private static final class Entry {
        final ParsedJwtSvid svid;
        final VerificationKey key;
        final long expiresAtMillis;

        Entry(ParsedJwtSvid svid, VerificationKey key, long expiresAtMillis) {
            this.svid = svid;
            this.key = key;
            this.expiresAtMillis = expiresAtMillis;
        }
    }

    /** @param maxEntries at most this many SVIDs remembered; 0 disables the cache */
    public VerifiedJwtSignatureCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative");
        }
        this.maxEntries = maxEntries;
        this.entries = maxEntries == 0 ? null : new ExpiringGenerations<>(maxEntries, e -> e.expiresAtMillis);
    }

    public boolean enabled() {
        return maxEntries > 0;
    }

    public int size() {
        return entries == null ? 0 : entries.size();
    }

    /**
     * The parse of this exact token, kept with its verified signature; null when the token is not
     * remembered (never verified, or expired). A parse is a pure function of the token's bytes, so
     * the token presented again need not be decoded and parsed again: every later check (client,
     * issuer, audience, time, key, replay) still runs on the returned value. Only tokens whose
     * signature verified are stored, so a caller cannot fill this with parses of junk.
     */
    ParsedJwtSvid parsed(String token, long nowMillis) {
        if (maxEntries == 0) {
            return null;
        }
        Entry e = entries.get(token, nowMillis);
        return e == null ? null : e.svid;
    }

    /** The candidate that verified this exact token before, if it is still a candidate; else null. */
    VerificationKey verifiedBy(String token, List<VerificationKey> candidates, long nowMillis) {
        if (maxEntries == 0) {
            return null;
        }
        Entry e = entries.get(token, nowMillis);
        if (e == null) {
            return null;
        }
        for (VerificationKey k : candidates) {
            if (k == e.key) {
                return k;
            }
        }
        return null;
    }

    /** Records that {@code key} verified the signature of {@code svid}. */
    void remember(ParsedJwtSvid svid, VerificationKey key, long expiresAtMillis, long nowMillis) {
        String token = svid.token();
        if (maxEntries == 0 || token.length() > MAX_TOKEN_LENGTH || expiresAtMillis <= nowMillis) {
            return;
        }
        entries.put(token, new Entry(svid, key, expiresAtMillis));
    }

    public void clear() {
        if (entries != null) {
            entries.clear();
        }
    }
}
