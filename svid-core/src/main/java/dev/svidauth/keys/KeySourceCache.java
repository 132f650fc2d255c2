package dev.svidauth.keys;

import dev.svidauth.rejection.Printable;
import org.jboss.logging.Logger;

import java.net.URI;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One cache per key-source URL, shared by every client that names it (DESIGN "Key sources").
 *
 * <ul>
 *   <li>Refresh at {@code spiffe_refresh_hint} or {@code Cache-Control: max-age}, clamped to
 *       [30 s, 1 h], else every 5 min. A due refresh runs in the background: requests keep using
 *       the cached keys and never wait for it, so a slow or dead endpoint cannot stall them.</li>
 *   <li>An unknown {@code kid} triggers at most one refetch per 10 s per URL (SPIRE publishes a new
 *       key hours before it signs with it, so a miss is almost always an attack or a foreign
 *       SVID); concurrent misses wait on the same single request.</li>
 *   <li>A failed fetch (no answer, an HTTP error, a malformed document) keeps the last-known-good
 *       keys and logs a warning; keys are used for at most {@code maxStaleness} after their last
 *       successful fetch.</li>
 *   <li>A successful fetch of a well-formed document without JWT-SVID keys (an empty key set, a
 *       bundle without {@code jwt-svid} entries) replaces the cached keys like any other: the
 *       trust domain has withdrawn its JWT-SVID keys, so its SVIDs fail as {@code unknown_kid}.
 *       It is logged as a warning.</li>
 *   <li>With nothing cached, failures are remembered for the miss interval, so a dead endpoint is
 *       not hammered by every request.</li>
 * </ul>
 */
public final class KeySourceCache {

    private static final Logger LOG = Logger.getLogger(KeySourceCache.class);

    private final KeySourceSettings settings;
    private final Clock clock;
    private final Executor executor;
    private final java.util.function.Supplier<Provider> ecdsaProvider;
    private final Map<URI, KeySourceEntry<KeySet>> keySets = new ConcurrentHashMap<>();
    private volatile Consumer<URI> newSourceListener = url -> {
    };
    /**
     * Keyed by the pinned issuer, not the discovery URL: {@code https://a} and {@code https://a/}
     * share one discovery URL, yet its document's {@code issuer} can equal only one of them.
     */
    private final Map<String, KeySourceEntry<URI>> discoveries = new ConcurrentHashMap<>();

    public KeySourceCache(KeySourceSettings settings, Clock clock, Executor executor) {
        this(settings, clock, executor, (Provider) null);
    }

    /** @param ecdsaProvider JCA provider for ECDSA signature checks of the keys fetched; null for the JDK default */
    public KeySourceCache(KeySourceSettings settings, Clock clock, Executor executor, Provider ecdsaProvider) {
        this(settings, clock, executor, () -> ecdsaProvider);
    }

    /**
     * @param ecdsaProvider asked for the JCA provider of ECDSA signature checks each time a key set
     *                      is parsed (a choice made after start-up applies from the next fetch on);
     *                      null answers mean the JDK default
     */
    public KeySourceCache(KeySourceSettings settings, Clock clock, Executor executor, java.util.function.Supplier<Provider> ecdsaProvider) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.ecdsaProvider = ecdsaProvider;
    }

    /**
     * The keys at {@code source} that may verify an SVID with this kid (or, without kid, alg).
     *
     * @return a non-empty list
     * @throws KeySourceException {@link KeySourceException.Kind#UNKNOWN_KEY}, or
     *                            {@link KeySourceException.Kind#UNAVAILABLE} when no usable keys can be had
     */
    public List<VerificationKey> candidates(URI source, String kid, String alg, KeyFetcher fetcher)
            throws KeySourceException {
        return candidates(source, kid, alg, fetcher, null);
    }

    /**
     * As {@link #candidates(URI, String, String, KeyFetcher)}, for an SVID of {@code trustDomain}
     * (null: not checked): a SPIFFE bundle whose X.509 authorities name other trust domains only
     * is refused ({@link KeySourceException.Kind#FOREIGN_TRUST_DOMAIN}), since its keys are
     * another trust domain's.
     */
    public List<VerificationKey> candidates(URI source, String kid, String alg, KeyFetcher fetcher, String trustDomain)
            throws KeySourceException {
        KeySourceEntry<KeySet> entry = keySetEntry(source);
        KeySourceEntry.Snapshot<KeySet> snap = current(entry, fetcher);
        List<VerificationKey> found = snap.value.candidates(kid, alg);
        if (found.isEmpty() && kid != null) {
            KeySourceEntry.Snapshot<KeySet> newest = newestAfterMiss(entry, fetcher, source);
            if (newest != null && newest != snap) {
                snap = newest;
                found = snap.value.candidates(kid, alg);
            }
        }
        requireTrustDomain(snap.value, source, trustDomain);
        if (found.isEmpty()) {
            throw new KeySourceException(KeySourceException.Kind.UNKNOWN_KEY, kid != null
                    ? "SVID key id '" + Printable.printable(kid) + "' is not published at " + source
                    : "SVID has no kid and no key published at " + source + " can verify " + alg, null);
        }
        return found;
    }

    /**
     * The WIT-SVID key ({@code use: wit-svid}) with this {@code kid} in the SPIFFE bundle at
     * {@code source}, for a WIT-SVID of {@code trustDomain} (null: not checked). An unknown kid
     * asks for the same rate-limited refetch as for a JWT-SVID.
     *
     * @return a list of one key
     * @throws KeySourceException {@link KeySourceException.Kind#NO_WIT_KEYS} when the bundle has no
     *                            WIT-SVID key at all, {@link KeySourceException.Kind#UNKNOWN_KEY},
     *                            {@link KeySourceException.Kind#FOREIGN_TRUST_DOMAIN} or
     *                            {@link KeySourceException.Kind#UNAVAILABLE}
     */
    public List<VerificationKey> witCandidates(URI source, String kid, KeyFetcher fetcher, String trustDomain)
            throws KeySourceException {
        KeySourceEntry<KeySet> entry = keySetEntry(source);
        KeySourceEntry.Snapshot<KeySet> snap = current(entry, fetcher);
        List<VerificationKey> found = snap.value.witCandidates(kid);
        if (found.isEmpty()) {
            KeySourceEntry.Snapshot<KeySet> newest = newestAfterMiss(entry, fetcher, source);
            if (newest != null && newest != snap) {
                snap = newest;
                found = snap.value.witCandidates(kid);
            }
        }
        requireTrustDomain(snap.value, source, trustDomain);
        if (snap.value.witKeys().isEmpty()) {
            throw new KeySourceException(KeySourceException.Kind.NO_WIT_KEYS, "trust domain '" + Printable.printable(
                    String.valueOf(trustDomain)) + "' publishes no WIT-SVID keys (no 'wit-svid' entry in its bundle at "
                    + source + ")", null);
        }
        if (found.isEmpty()) {
            throw new KeySourceException(KeySourceException.Kind.UNKNOWN_KEY, "WIT-SVID key id '" + Printable.printable(kid)
                    + "' is not among the wit-svid keys published at " + source, null);
        }
        return found;
    }

    /**
     * The X.509 authorities ({@code use: x509-svid}) of the SPIFFE bundle at {@code source}, from
     * the cache (fetched when nothing usable is cached). Possibly empty: the caller decides.
     *
     * @throws KeySourceException {@link KeySourceException.Kind#UNAVAILABLE} when the bundle cannot be had
     */
    public List<X509Certificate> x509Authorities(URI source, KeyFetcher fetcher) throws KeySourceException {
        return x509Authorities(source, fetcher, null);
    }

    /**
     * As {@link #x509Authorities(URI, KeyFetcher)}, for an X.509-SVID of {@code trustDomain} (null:
     * not checked): a bundle whose authorities name other trust domains only is refused
     * ({@link KeySourceException.Kind#FOREIGN_TRUST_DOMAIN}), as for JWT-SVID keys.
     */
    public List<X509Certificate> x509Authorities(URI source, KeyFetcher fetcher, String trustDomain) throws KeySourceException {
        KeySet keys = current(keySetEntry(source), fetcher).value;
        requireTrustDomain(keys, source, trustDomain);
        return keys.x509Authorities();
    }

    /** The bundle's X.509 authorities name trust domains, none of them {@code trustDomain}: another trust domain's bundle. */
    private static void requireTrustDomain(KeySet keys, URI source, String trustDomain) throws KeySourceException {
        Set<String> named = keys.trustDomains();
        if (trustDomain != null && !named.isEmpty() && !named.contains(trustDomain)) {
            throw new KeySourceException(KeySourceException.Kind.FOREIGN_TRUST_DOMAIN, "key source " + source
                    + " serves the bundle of trust domain " + (named.size() == 1 ? "'" + named.iterator().next() + "'" : named)
                    + ", not of the SVID's trust domain '" + trustDomain + "'", null);
        }
    }

    /**
     * After a chain verified up to none of {@code seen} (the authorities the caller used): the
     * same rate-limited refetch as for an unknown kid (at most one per miss interval per URL,
     * concurrent misses share it). A CA rotation publishes the new authority before SPIRE signs
     * with it, so a miss is rarely rotation.
     *
     * @return the authorities of a newer fetch, or null when none is newer than {@code seen}
     */
    public List<X509Certificate> x509AuthoritiesAfterMiss(URI source, KeyFetcher fetcher, List<X509Certificate> seen) {
        KeySourceEntry.Snapshot<KeySet> snap = newestAfterMiss(keySetEntry(source), fetcher, source);
        if (snap == null || snap.value.x509Authorities().equals(seen)) {
            return null;
        }
        return snap.value.x509Authorities();
    }

    /**
     * After a miss (an unknown kid, a chain up to no cached authority): the refetch this miss may
     * start, or the one under way; else (rate-limited, or the refetch failed) the newest snapshot,
     * read after asking, never before: a fetch that finished since the caller looked, even while
     * this request waited for the entry's lock, may have brought what was missed (a rotation's
     * first SVIDs arrive together and one fetch serves them all). Null when nothing was ever fetched.
     */
    private KeySourceEntry.Snapshot<KeySet> newestAfterMiss(KeySourceEntry<KeySet> entry, KeyFetcher fetcher, URI source) {
        CompletableFuture<KeySourceEntry.Snapshot<KeySet>> refetch = entry.fetchForMiss(fetcher, clock.millis());
        if (refetch != null) {
            try {
                return await(refetch, source);
            } catch (KeySourceException e) {
                // already logged; another fetch may still have brought more
            }
        }
        return entry.current;
    }

    private KeySourceEntry<KeySet> keySetEntry(URI source) {
        KeySourceEntry<KeySet> entry = keySets.get(source);
        if (entry == null) {
            boolean[] added = {false};
            entry = keySets.computeIfAbsent(source, u -> {
                added[0] = true;
                return entry(u, this::parseKeys);
            });
            if (added[0]) {
                newSourceListener.accept(source);
            }
        }
        return entry;
    }

    /**
     * The {@code jwks_uri} named by {@code <issuer>/.well-known/openid-configuration}, whose
     * {@code issuer} must equal {@code issuer} byte for byte.
     */
    public URI discoverJwksUri(String issuer, KeyFetcher fetcher) throws KeySourceException {
        URI discovery = discoveryUrl(issuer);
        KeySourceEntry<URI> entry = discoveries.computeIfAbsent(issuer,
                i -> entry(discovery, (src, doc) -> new KeySourceEntry.Parsed<>(KeySetParser.parseDiscovery(src, doc.body(), issuer),
                        doc.maxAge().orElse(null))));
        return current(entry, fetcher).value;
    }

    /** {@code <issuer>/.well-known/openid-configuration} (OpenID Connect Discovery 1.0 section 4). */
    public static URI discoveryUrl(String issuer) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return URI.create(base + "/.well-known/openid-configuration");
    }

    /** The cached state of {@code source}, or null when no SVID has needed it yet. Never fetches. */
    public KeySourceState state(URI source) {
        KeySourceEntry<KeySet> entry = keySets.get(source);
        return entry == null ? null : KeySourceState.of(source, entry);
    }

    /** The key-source URLs cached, in no particular order. */
    public List<URI> sources() {
        return List.copyOf(keySets.keySet());
    }

    /** Told of each key-source URL the first time an SVID needs it (e.g. to register its metrics). */
    public void onNewSource(Consumer<URI> listener) {
        newSourceListener = Objects.requireNonNull(listener, "listener");
    }

    /** How often each URL has been fetched, for Server Info and tests. */
    public Map<String, Long> fetchCounts() {
        Map<String, Long> out = new LinkedHashMap<>();
        keySets.forEach((u, e) -> out.put(u.toString(), e.fetches.get()));
        discoveries.forEach((issuer, e) -> out.merge(e.url.toString(), e.fetches.get(), Long::sum));
        return out;
    }

    /** Drops every cached document (used when the factory closes). */
    public void clear() {
        keySets.clear();
        discoveries.clear();
    }

    private <T> KeySourceEntry<T> entry(URI url, KeySourceEntry.DocumentParser<T> parser) {
        return new KeySourceEntry<>(url, parser, settings, clock, executor);
    }

    private <T> KeySourceEntry.Snapshot<T> current(KeySourceEntry<T> entry, KeyFetcher fetcher) throws KeySourceException {
        KeySourceEntry.Snapshot<T> snap = entry.current;
        long now = clock.millis();
        boolean stale = snap != null && now - snap.fetchedAt > settings.maxStaleness.toMillis();
        if (snap == null || stale) {
            CompletableFuture<KeySourceEntry.Snapshot<T>> fetch = entry.fetchUnlessRecentlyFailed(fetcher, now);
            try {
                if (fetch == null) {
                    throw new KeySourceException(entry.lastFailure);
                }
                return await(fetch, entry.url);
            } catch (KeySourceException e) {
                throw new KeySourceException(stale
                        ? "keys cached from " + entry.url + " are older than " + settings.maxStaleness.toHours()
                        + " h and cannot be refreshed: " + e.getMessage()
                        : "key source " + entry.url + " is unavailable: " + e.getMessage(), e);
            }
        }
        if (now >= snap.refreshAt) {
            entry.refreshInBackground(fetcher, now);
        }
        return snap;
    }

    private <T> KeySourceEntry.Snapshot<T> await(CompletableFuture<KeySourceEntry.Snapshot<T>> f, URI url) throws KeySourceException {
        try {
            return f.get(settings.waitTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new KeySourceException(url + " did not answer within " + settings.waitTimeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeySourceException("interrupted while fetching " + url);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof KeySourceException ? (KeySourceException) cause
                    : new KeySourceException("fetching " + url + " failed: " + cause, cause);
        }
    }

    private KeySourceEntry.Parsed<KeySet> parseKeys(URI source, FetchedDocument doc) throws KeySourceException {
        KeySet set = KeySetParser.parse(source, doc.body(), ecdsaProvider.get());
        if (!set.skipped().isEmpty()) {
            LOG.debugf("Key source %s: skipped %s", Printable.value(source.toString()), Printable.text(set.skipped().toString()));
        }
        if (set.keys().isEmpty() && set.witKeys().isEmpty()) {
            LOG.warnf("svid-auth: key source %s publishes no JWT-SVID key; SVIDs to be verified with it are refused"
                    + " (unknown_kid) until it publishes one", Printable.value(source.toString()));
        }
        return new KeySourceEntry.Parsed<>(set, set.refreshHint().orElse(doc.maxAge().orElse(null)));
    }

}
