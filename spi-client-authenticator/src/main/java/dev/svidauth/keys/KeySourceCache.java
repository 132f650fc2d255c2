package dev.svidauth.keys;

import dev.svidauth.rejection.Printable;
import org.jboss.logging.Logger;

import java.net.URI;
import java.security.Provider;
import java.time.Clock;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicLong;

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
 *   <li>A failed fetch keeps the last-known-good keys and logs a warning; keys are used for at
 *       most {@code maxStaleness} after their last successful fetch.</li>
 *   <li>With nothing cached, failures are remembered for the miss interval, so a dead endpoint is
 *       not hammered by every request.</li>
 * </ul>
 */
public final class KeySourceCache {

    private static final Logger LOG = Logger.getLogger(KeySourceCache.class);

    /** Tunables; the defaults are the documented behaviour. */
    public static final class Settings {
        final Duration minRefresh;
        final Duration maxRefresh;
        final Duration defaultRefresh;
        final Duration missInterval;
        final Duration maxStaleness;
        final Duration waitTimeout;

        public Settings(Duration minRefresh, Duration maxRefresh, Duration defaultRefresh, Duration missInterval,
                        Duration maxStaleness, Duration waitTimeout) {
            this.minRefresh = minRefresh;
            this.maxRefresh = maxRefresh;
            this.defaultRefresh = defaultRefresh;
            this.missInterval = missInterval;
            this.maxStaleness = maxStaleness;
            this.waitTimeout = waitTimeout;
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5),
                    Duration.ofSeconds(10), Duration.ofHours(24), Duration.ofSeconds(15));
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final Executor executor;
    private final Provider ecdsaProvider;
    private final Map<URI, Entry<KeySet>> keySets = new ConcurrentHashMap<>();
    /**
     * Keyed by the pinned issuer, not the discovery URL: {@code https://a} and {@code https://a/}
     * share one discovery URL, yet its document's {@code issuer} can equal only one of them.
     */
    private final Map<String, Entry<URI>> discoveries = new ConcurrentHashMap<>();

    public KeySourceCache(Settings settings, Clock clock, Executor executor) {
        this(settings, clock, executor, null);
    }

    /** @param ecdsaProvider JCA provider for ECDSA signature checks of the keys fetched; null for the JDK default */
    public KeySourceCache(Settings settings, Clock clock, Executor executor, Provider ecdsaProvider) {
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
        Entry<KeySet> entry = keySets.computeIfAbsent(source, u -> new Entry<>(u, this::parseKeys));
        Snapshot<KeySet> snap = current(entry, fetcher);
        List<VerificationKey> found = snap.value.candidates(kid, alg);
        if (found.isEmpty() && kid != null) {
            CompletableFuture<Snapshot<KeySet>> refetch = entry.fetchForMiss(fetcher, clock.millis());
            if (refetch != null) {
                try {
                    snap = await(refetch, source);
                    found = snap.value.candidates(kid, alg);
                } catch (KeySourceException e) {
                    // already logged; the answer is still "unknown kid"
                }
            } else if (entry.current != null && entry.current != snap) {
                // No refetch allowed now, but one finished since this request looked: it may have
                // brought the kid (a rotation's first SVIDs arrive together; one fetch serves all).
                snap = entry.current;
                found = snap.value.candidates(kid, alg);
            }
        }
        Set<String> named = snap.value.trustDomains();
        if (trustDomain != null && !named.isEmpty() && !named.contains(trustDomain)) {
            throw new KeySourceException(KeySourceException.Kind.FOREIGN_TRUST_DOMAIN, "key source " + source
                    + " serves the bundle of trust domain " + (named.size() == 1 ? "'" + named.iterator().next() + "'" : named)
                    + ", not of the SVID's trust domain '" + trustDomain + "'", null);
        }
        if (found.isEmpty()) {
            throw new KeySourceException(KeySourceException.Kind.UNKNOWN_KEY, kid != null
                    ? "SVID key id '" + Printable.printable(kid) + "' is not published at " + source
                    : "SVID has no kid and no key published at " + source + " can verify " + alg, null);
        }
        return found;
    }

    /**
     * The {@code jwks_uri} named by {@code <issuer>/.well-known/openid-configuration}, whose
     * {@code issuer} must equal {@code issuer} byte for byte.
     */
    public URI discoverJwksUri(String issuer, KeyFetcher fetcher) throws KeySourceException {
        URI discovery = discoveryUrl(issuer);
        Entry<URI> entry = discoveries.computeIfAbsent(issuer,
                i -> new Entry<>(discovery, (src, doc) -> new Parsed<>(KeySetParser.parseDiscovery(src, doc.body(), issuer),
                        doc.maxAge().orElse(null))));
        return current(entry, fetcher).value;
    }

    /** {@code <issuer>/.well-known/openid-configuration} (OpenID Connect Discovery 1.0 section 4). */
    public static URI discoveryUrl(String issuer) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return URI.create(base + "/.well-known/openid-configuration");
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

    private <T> Snapshot<T> current(Entry<T> entry, KeyFetcher fetcher) throws KeySourceException {
        Snapshot<T> snap = entry.current;
        long now = clock.millis();
        boolean stale = snap != null && now - snap.fetchedAt > settings.maxStaleness.toMillis();
        if (snap == null || stale) {
            CompletableFuture<Snapshot<T>> fetch = entry.fetchUnlessRecentlyFailed(fetcher, now);
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

    private <T> Snapshot<T> await(CompletableFuture<Snapshot<T>> f, URI url) throws KeySourceException {
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

    private Parsed<KeySet> parseKeys(URI source, FetchedDocument doc) throws KeySourceException {
        KeySet set = KeySetParser.parse(source, doc.body(), ecdsaProvider);
        if (!set.skipped().isEmpty()) {
            LOG.debugf("Key source %s: skipped %s", source, set.skipped());
        }
        return new Parsed<>(set, set.refreshHint().orElse(doc.maxAge().orElse(null)));
    }

    private long refreshDelayMillis(Duration hint) {
        if (hint == null || hint.isNegative()) {
            return settings.defaultRefresh.toMillis();
        }
        long ms = hint.toMillis();
        return Math.max(settings.minRefresh.toMillis(), Math.min(settings.maxRefresh.toMillis(), ms));
    }

    @FunctionalInterface
    private interface DocumentParser<T> {
        Parsed<T> parse(URI source, FetchedDocument doc) throws KeySourceException;
    }

    private static final class Parsed<T> {
        final T value;
        final Duration refreshHint;

        Parsed(T value, Duration refreshHint) {
            this.value = value;
            this.refreshHint = refreshHint;
        }
    }

    private static final class Snapshot<T> {
        final T value;
        final long fetchedAt;
        final long refreshAt;

        Snapshot(T value, long fetchedAt, long refreshAt) {
            this.value = value;
            this.fetchedAt = fetchedAt;
            this.refreshAt = refreshAt;
        }
    }

    /** One URL's cached document, its single in-flight fetch, and its rate-limit clock. */
    private final class Entry<T> {
        final URI url;
        final DocumentParser<T> parser;
        final AtomicLong fetches = new AtomicLong();
        volatile Snapshot<T> current;
        /** Guarded by this. */
        private CompletableFuture<Snapshot<T>> inflight;
        /** Guarded by this; start time of the last fetch of any kind. */
        private long lastFetchStart = Long.MIN_VALUE / 2;
        /** Guarded by this; end time of the last failed fetch. */
        private long lastFailureAt = Long.MIN_VALUE / 2;
        volatile String lastFailure = "not fetched yet";

        Entry(URI url, DocumentParser<T> parser) {
            this.url = url;
            this.parser = parser;
        }

        synchronized CompletableFuture<Snapshot<T>> fetchUnlessRecentlyFailed(KeyFetcher fetcher, long now) {
            if (inflight != null) {
                return inflight;
            }
            Snapshot<T> fresh = current;
            if (fresh != null && now - fresh.fetchedAt <= settings.maxStaleness.toMillis()) {
                // a fetch finished since the caller looked: concurrent requests share it
                return CompletableFuture.completedFuture(fresh);
            }
            if (now - lastFailureAt < settings.missInterval.toMillis() && now - lastFetchStart < settings.missInterval.toMillis()) {
                return null;
            }
            return start(fetcher, now);
        }

        synchronized CompletableFuture<Snapshot<T>> fetchForMiss(KeyFetcher fetcher, long now) {
            if (inflight != null) {
                return inflight;
            }
            if (now - lastFetchStart < settings.missInterval.toMillis()) {
                return null;
            }
            return start(fetcher, now);
        }

        synchronized void refreshInBackground(KeyFetcher fetcher, long now) {
            Snapshot<T> snap = current;
            if (inflight == null && (snap == null || now >= snap.refreshAt)) {
                start(fetcher, now);
            }
        }

        /** Caller holds the lock. */
        private CompletableFuture<Snapshot<T>> start(KeyFetcher fetcher, long now) {
            lastFetchStart = now;
            CompletableFuture<Snapshot<T>> f = new CompletableFuture<>();
            inflight = f;
            fetches.incrementAndGet();
            try {
                executor.execute(() -> run(fetcher, f));
            } catch (RuntimeException rejected) {
                finish(f, null, new KeySourceException("cannot schedule a fetch of " + url + ": " + rejected));
            }
            return f;
        }

        private void run(KeyFetcher fetcher, CompletableFuture<Snapshot<T>> f) {
            try {
                FetchedDocument doc = fetcher.fetch(url);
                Parsed<T> parsed = parser.parse(url, doc);
                long done = clock.millis();
                finish(f, new Snapshot<>(parsed.value, done, done + refreshDelayMillis(parsed.refreshHint)), null);
            } catch (KeySourceException e) {
                finish(f, null, e);
            } catch (RuntimeException e) {
                finish(f, null, new KeySourceException("fetching " + url + " failed: " + e, e));
            }
        }

        private void finish(CompletableFuture<Snapshot<T>> f, Snapshot<T> ok, KeySourceException failure) {
            synchronized (this) {
                if (ok != null) {
                    current = ok;
                } else {
                    long now = clock.millis();
                    lastFailureAt = now;
                    lastFailure = failure.getMessage();
                    Snapshot<T> kept = current;
                    if (kept != null) {
                        // keep last-known-good keys; try again after the minimum refresh interval
                        current = new Snapshot<>(kept.value, kept.fetchedAt, now + settings.minRefresh.toMillis());
                    }
                }
                inflight = null;
            }
            if (ok != null) {
                f.complete(ok);
            } else {
                LOG.warnf("svid-auth: %s%s", failure.getMessage(),
                        current != null ? " (keeping the last-known-good keys)" : "");
                f.completeExceptionally(failure);
            }
        }
    }
}
