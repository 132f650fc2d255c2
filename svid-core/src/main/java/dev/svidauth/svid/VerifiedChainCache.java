package dev.svidauth.svid;

import java.nio.ByteBuffer;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Remembers which X.509 authority a certificate chain verified up to, so that the same X.509-SVID
 * presented again (a workload keeps its SVID for most of its hour, and every TLS connection and
 * token request presents it) does not pay for the path validation and its signature checks again.
 *
 * <p>Only the path validation is skipped, and only for the byte-identical chain: the leaf rules,
 * the validity of every certificate and the client's resolution run on every presentation. A
 * remembered verification counts only while its authority is still among the authorities the
 * bundle publishes now, so a withdrawn or rotated-out authority leads to a fresh check. Entries end
 * when the first certificate of the chain expires; their number ({@link ExpiringGenerations}) and the chain size are bounded,
 * and only chains that verified are ever stored.
 */
public final class VerifiedChainCache {

    /** No caching: every presentation is validated. */
    public static final VerifiedChainCache DISABLED = new VerifiedChainCache(0);

    /** Chains larger than this are not remembered (SPIRE's are one to three certificates, well under 4 KiB). */
    static final int MAX_CHAIN_BYTES = 16 * 1024;

    private final int maxEntries;
    private final ExpiringGenerations<ByteBuffer, Entry> entries;

    private record Entry(X509Certificate authority, long expiresAtMillis) {
    }

    /** @param maxEntries at most this many chains remembered; 0 disables the cache */
    public VerifiedChainCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative");
        }
        this.maxEntries = maxEntries;
        this.entries = maxEntries == 0 ? null : new ExpiringGenerations<>(maxEntries, Entry::expiresAtMillis);
    }

    public int size() {
        return entries == null ? 0 : entries.size();
    }

    /** The encoded chain, the key of its entry; null when it is not to be remembered. */
    ByteBuffer key(List<X509Certificate> chain) {
        if (maxEntries == 0) {
            return null;
        }
        try {
            int size = 0;
            byte[][] ders = new byte[chain.size()][];
            for (int i = 0; i < ders.length; i++) {
                ders[i] = chain.get(i).getEncoded();
                size += ders[i].length + 4;
            }
            if (size > MAX_CHAIN_BYTES) {
                return null;
            }
            ByteBuffer key = ByteBuffer.allocate(size);
            for (byte[] der : ders) {
                key.putInt(der.length).put(der);
            }
            return key.flip();
        } catch (CertificateEncodingException e) {
            return null;
        }
    }

    /** Whether the chain of {@code key} verified before up to one of {@code authorities}, and has not expired. */
    boolean verified(ByteBuffer key, List<X509Certificate> authorities, long nowMillis) {
        if (key == null) {
            return false;
        }
        Entry e = entries.get(key, nowMillis);
        return e != null && authorities.contains(e.authority);
    }

    /** Records that the chain of {@code key} verified up to {@code authority}. */
    void remember(ByteBuffer key, List<X509Certificate> chain, X509Certificate authority, long nowMillis) {
        if (key == null || authority == null) {
            return;
        }
        long expires = authority.getNotAfter().getTime();
        for (X509Certificate c : chain) {
            expires = Math.min(expires, c.getNotAfter().getTime());
        }
        if (expires <= nowMillis) {
            return;
        }
        entries.put(key, new Entry(authority, expires));
    }

    public void clear() {
        if (entries != null) {
            entries.clear();
        }
    }
}
