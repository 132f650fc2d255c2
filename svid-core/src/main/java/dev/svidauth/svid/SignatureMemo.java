package dev.svidauth.svid;

import dev.svidauth.keys.VerificationKey;

import java.util.List;

/**
 * What the verification caches of JWT-SVIDs ({@link VerifiedJwtSignatureCache}) and WIT-SVIDs
 * ({@link WitSvidVerifier}) remember of a token whose signature verified: the key that verified
 * it, until its expiry, and, once the token is presented a second time, its parse. The parse is
 * kept only for a token seen again because many tokens are seen once (a workload that takes a new
 * SVID for every request): holding each one's parse for as long as the cache holds the token
 * would only give the garbage collector more live data to copy. A remembered verification counts only while that very key
 * object is still a candidate, so a withdrawn or refetched key leads to a fresh check; only
 * verified tokens are stored, so a caller cannot fill it with junk; the number of entries
 * ({@link ExpiringGenerations}) and the token length are bounded.
 *
 * @param <S> the parsed token
 */
final class SignatureMemo<S> {

    /** Tokens longer than this are not remembered (SPIRE's SVIDs are well under 2 KiB). */
    static final int MAX_TOKEN_LENGTH = 8 * 1024;

    private final ExpiringGenerations<String, Entry<S>> entries;

    private record Entry<S>(S parsed, VerificationKey key, long expiresAtMillis) {
    }

    /** @param maxEntries at most this many tokens remembered; 0 disables it */
    SignatureMemo(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative");
        }
        this.entries = maxEntries == 0 ? null : new ExpiringGenerations<>(maxEntries, Entry::expiresAtMillis);
    }

    boolean enabled() {
        return entries != null;
    }

    int size() {
        return entries == null ? 0 : entries.size();
    }

    /**
     * The parse of this exact token, kept with its verified signature; null when the token is not
     * remembered or was verified only once. A parse is a pure function of the token's bytes, so the token presented again
     * need not be decoded and parsed again; every later check still runs on the returned value.
     */
    S parsed(String token, long nowMillis) {
        Entry<S> e = entries == null || token == null ? null : entries.get(token, nowMillis);
        return e == null ? null : e.parsed();
    }

    /**
     * The candidate that verified this exact token before, if it is still a candidate; else null.
     * A token presented again keeps {@code parsed} from now on, for {@link #parsed}.
     */
    VerificationKey verifiedBy(String token, S parsed, List<VerificationKey> candidates, long nowMillis) {
        Entry<S> e = entries == null ? null : entries.get(token, nowMillis);
        if (e == null) {
            return null;
        }
        for (VerificationKey k : candidates) {
            if (k == e.key()) {
                if (e.parsed() == null) {
                    entries.put(token, new Entry<>(parsed, e.key(), e.expiresAtMillis()));
                }
                return k;
            }
        }
        return null;
    }

    /** Records that {@code key} verified the signature of {@code token} (its parse is kept when it comes again). */
    void remember(String token, VerificationKey key, long expiresAtMillis, long nowMillis) {
        if (entries == null || token.length() > MAX_TOKEN_LENGTH || expiresAtMillis <= nowMillis) {
            return;
        }
        entries.put(token, new Entry<>(null, key, expiresAtMillis));
    }

    void clear() {
        if (entries != null) {
            entries.clear();
        }
    }
}
