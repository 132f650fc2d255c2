package dev.svidauth.keys;

import dev.svidauth.rejection.Printable;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One URL's cached document for {@link KeySourceCache}: its current snapshot, its single
 * in-flight fetch, and its rate-limit clock.
 */
final class KeySourceEntry<T> {

    /** Logs under the cache's name, as operators know it. */
    private static final Logger LOG = Logger.getLogger(KeySourceCache.class);

    @FunctionalInterface
    interface DocumentParser<T> {
        Parsed<T> parse(URI source, FetchedDocument doc) throws KeySourceException;
    }

    static final class Parsed<T> {
        final T value;
        final Duration refreshHint;

        Parsed(T value, Duration refreshHint) {
            this.value = value;
            this.refreshHint = refreshHint;
        }
    }

    static final class Snapshot<T> {
        final T value;
        final long fetchedAt;
        final long refreshAt;

        Snapshot(T value, long fetchedAt, long refreshAt) {
            this.value = value;
            this.fetchedAt = fetchedAt;
            this.refreshAt = refreshAt;
        }
    }

    final URI url;
    private final KeySourceSettings settings;
    private final Clock clock;
    private final Executor executor;
    final DocumentParser<T> parser;
    final AtomicLong fetches = new AtomicLong();
    volatile Snapshot<T> current;
    /** Guarded by this. */
    private CompletableFuture<Snapshot<T>> inflight;
    /** Guarded by this: the in-flight fetch's place with the {@link FetchScheduler}, when the executor is one. */
    private FetchScheduler.Ticket inflightTicket;
    /** Guarded by this; start time of the last fetch of any kind. */
    private long lastFetchStart = Long.MIN_VALUE / 2;
    /** Guarded by this; end time of the last failed fetch. */
    private long lastFailureAt = Long.MIN_VALUE / 2;
    volatile String lastFailure = "not fetched yet";
    /** Whether the last fetch failed. */
    volatile boolean failedSinceLastSuccess;

    KeySourceEntry(URI url, DocumentParser<T> parser, KeySourceSettings settings, Clock clock, Executor executor) {
        this.url = url;
        this.parser = parser;
        this.settings = settings;
        this.clock = clock;
        this.executor = executor;
    }

    synchronized CompletableFuture<Snapshot<T>> fetchUnlessRecentlyFailed(KeyFetcher fetcher, long now) {
        if (inflight != null) {
            return join(fetcher);
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
            return join(fetcher);
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

    /**
     * Caller holds the lock and saw a fetch in flight: a request of another realm that waits for
     * it queues it in its own realm's lane too, so a fetch started (and still waiting) in a
     * crowded realm's lane cannot hold this realm back.
     */
    private CompletableFuture<Snapshot<T>> join(KeyFetcher fetcher) {
        if (inflightTicket != null) {
            inflightTicket.alsoIn(fetcher.lane());
        }
        return inflight;
    }

    /** Caller holds the lock. */
    private CompletableFuture<Snapshot<T>> start(KeyFetcher fetcher, long now) {
        lastFetchStart = now;
        CompletableFuture<Snapshot<T>> f = new CompletableFuture<>();
        inflight = f;
        inflightTicket = null;
        fetches.incrementAndGet();
        try {
            if (executor instanceof FetchScheduler scheduler) {
                FetchScheduler.Ticket ticket = scheduler.submit(fetcher.lane(), url, () -> run(fetcher, f));
                if (inflight == f) {
                    inflightTicket = ticket;
                }
            } else {
                executor.execute(() -> run(fetcher, f));
            }
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
            failedSinceLastSuccess = ok == null;
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
            inflightTicket = null;
        }
        if (ok != null) {
            f.complete(ok);
        } else {
            LOG.warnf("svid-auth: %s%s", Printable.text(failure.getMessage()),
                    current != null ? " (keeping the last-known-good keys)" : "");
            f.completeExceptionally(failure);
        }
    }

    private long refreshDelayMillis(Duration hint) {
        if (hint == null || hint.isNegative()) {
            return settings.defaultRefresh.toMillis();
        }
        long ms = hint.toMillis();
        return Math.max(settings.minRefresh.toMillis(), Math.min(settings.maxRefresh.toMillis(), ms));
    }
}
