package dev.svidauth.svid;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * The bounded store behind the verification caches: entries that end at their own expiry, kept in
 * two generations of at most half the bound each. New entries go to the young generation; when it
 * is full it becomes the old one and the previous old generation is dropped whole, by swapping one
 * reference. An entry found in the old generation moves back to the young one, so an SVID that is
 * still presented stays while entries nobody asks for again (one-time SVIDs) fall out after two
 * generations.
 *
 * <p>Why not a map cleared when full: under a stream of never-repeated SVIDs a single map reaches
 * its bound again and again, and each time a request thread would scan it for expired entries and
 * then clear it, holding other requests on the map's locks and dropping the SVIDs that are reused
 * along with the rest. Here no request scans or clears anything; lookups are lock-free.
 *
 * @param <K> the key: the token or the encoded chain
 * @param <V> what is remembered about it
 */
final class ExpiringGenerations<K, V> {

    private final int generationSize;
    private final ToLongFunction<V> expiresAtMillis;
    private volatile ConcurrentHashMap<K, V> young = new ConcurrentHashMap<>();
    private volatile ConcurrentHashMap<K, V> old = new ConcurrentHashMap<>();

    /**
     * @param maxEntries      at most about this many entries in both generations together (each holds
     *                        half; concurrent insertions may pass a generation's size by the number of
     *                        inserting threads); must be positive
     * @param expiresAtMillis when an entry ends
     */
    ExpiringGenerations(int maxEntries, ToLongFunction<V> expiresAtMillis) {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.generationSize = Math.max(1, (maxEntries + 1) / 2);
        this.expiresAtMillis = expiresAtMillis;
    }

    /** The live entry of {@code key}, or null; an expired entry is removed on the way. */
    V get(K key, long nowMillis) {
        ConcurrentHashMap<K, V> y = young;
        V v = y.get(key);
        if (v != null) {
            if (expiresAtMillis.applyAsLong(v) > nowMillis) {
                return v;
            }
            y.remove(key, v);
            return null;
        }
        ConcurrentHashMap<K, V> o = old;
        v = o.get(key);
        if (v == null && young != y) {
            // the generations turned between the two reads: the entry may be in the new old one
            o = old;
            v = o.get(key);
        }
        if (v == null) {
            return null;
        }
        if (expiresAtMillis.applyAsLong(v) <= nowMillis) {
            o.remove(key, v);
            return null;
        }
        // still in use: into the young generation, to outlive the old one (the old copy stays until
        // its generation is dropped, so that a concurrent lookup between the two maps still finds it)
        put(key, v);
        return v;
    }

    /** Stores an entry, or replaces the young generation's entry of {@code key} (the caller has checked that it has not expired). */
    void put(K key, V value) {
        ConcurrentHashMap<K, V> y = young;
        if (y.size() >= generationSize && !y.containsKey(key)) {
            y = rotate(y);
        }
        y.put(key, value);
    }

    private synchronized ConcurrentHashMap<K, V> rotate(ConcurrentHashMap<K, V> full) {
        if (young == full) {
            old = full;
            young = new ConcurrentHashMap<>();
        }
        return young;
    }

    /** Entries held, expired ones not yet dropped included. */
    int size() {
        return young.size() + old.size();
    }

    synchronized void clear() {
        young = new ConcurrentHashMap<>();
        old = new ConcurrentHashMap<>();
    }
}
