package dev.svidauth.keycloak.client;

import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdIndex;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.jboss.logging.Logger;
import org.keycloak.models.RealmModel;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds the clients whose {@code svid.spiffe.id} accepts a SPIFFE ID, per realm, without scanning
 * every client on every request.
 *
 * <p>The index maps exact SPIFFE IDs and {@code /*} prefixes to client ids; a lookup walks the
 * SPIFFE ID's ancestors (O(path depth)). It is rebuilt when a client of the realm changes on any
 * cluster node ({@link ClientIndexInvalidation} here, {@link ClusterIndexInvalidation} for the
 * others), after {@link #ttl} (a safety net), and, at most once per
 * {@link #missRebuildInterval}, when a lookup finds nothing. The TTL refresh runs on the
 * {@link #refresher} thread when the source can read without a request; otherwise one request
 * rebuilds. Either way the others keep using the previous index, so a realm with thousands of
 * clients is not read by every concurrent request at once. Callers re-check every hit against the
 * live client, found by its exact clientId, so a stale index can delay a new mapping but never
 * grant a removed one.
 *
 * <p>The clients of each {@link SvidMethod} have their own index: an SVID only ever finds clients
 * of the authenticator it was presented to. A rebuild reads the realm's SVID clients through a
 * {@link ClientSource}: on a server, one database query for their authenticators, clientIds and
 * {@code svid.spiffe.id} values
 * ({@link DatabaseClientSource}), so that rebuilding the index of a realm with more clients than
 * Keycloak's realm cache holds neither reloads every client nor evicts the ones in use.
 */
public final class SvidClientIndex {

    private static final Logger LOG = Logger.getLogger(SvidClientIndex.class);

    /** Receives one SVID client of a realm. */
    @FunctionalInterface
    public interface ClientSink {
        /**
         * @param method    how the client authenticates
         * @param clientId  its clientId
         * @param spiffeIds its raw {@code svid.spiffe.id} value (null when it has none)
         */
        void accept(SvidMethod method, String clientId, String spiffeIds);
    }

    /** Where a rebuild reads a realm's SVID clients ({@code client-svid-jwt} and {@code client-svid-x509}) from. */
    @FunctionalInterface
    public interface ClientSource {

        /** Walks {@code realm.getClientsStream()}: loads every client of the realm. */
        ClientSource WALK = (realm, sink) -> realm.getClientsStream().forEach(c -> {
            SvidMethod method = SvidMethod.of(c.getClientAuthenticatorType());
            if (method != null) {
                sink.accept(method, c.getClientId(), c.getAttribute(SvidClientConfig.SPIFFE_ID));
            }
        });

        /** Calls {@code sink} once for every SVID client of {@code realm}. */
        void forEachSvidClient(RealmModel realm, ClientSink sink);

        /** Whether {@link #forEachSvidClientDetached} can read, so that a refresh need not hold up a request. */
        default boolean readsDetached() {
            return false;
        }

        /**
         * As {@link #forEachSvidClient}, on any thread, without the request's session: knows the
         * realm by id (and name, for messages). Calls {@code sink} only once it has read
         * everything; false (and no call) when it could not read.
         */
        default boolean forEachSvidClientDetached(String realmId, String realmName, ClientSink sink) {
            return false;
        }
    }

    private final ClientSource source;
    /** Runs TTL refreshes when the source reads detached; null: the request that finds the index stale rebuilds it. */
    private final Executor refresher;
    private final Clock clock;
    private final Duration ttl;
    private final Duration missRebuildInterval;
    private final Map<String, RealmIndex> realms = new ConcurrentHashMap<>();
    private final Map<String, Object> buildLocks = new ConcurrentHashMap<>();
    /** Incremented by every invalidation, so that a build that raced with a client change is not published. */
    private final AtomicLong generation = new AtomicLong();

    public SvidClientIndex(ClientSource source, Clock clock, Duration ttl, Duration missRebuildInterval) {
        this(source, null, clock, ttl, missRebuildInterval);
    }

    public SvidClientIndex(ClientSource source, Executor refresher, Clock clock, Duration ttl, Duration missRebuildInterval) {
        this.source = source;
        this.refresher = refresher;
        this.clock = clock;
        this.ttl = ttl;
        this.missRebuildInterval = missRebuildInterval;
    }

    /**
     * The clients authenticating by {@code method} that accept {@code id}: all exact matches if
     * any, else those with the longest matching prefix.
     */
    public SpiffeIdIndex.Matches lookup(RealmModel realm, SvidMethod method, SpiffeId id) {
        RealmIndex index = index(realm, false);
        SpiffeIdIndex.Matches m = index.part(method).ids.lookup(id);
        if (m.isEmpty() && clock.millis() - index.builtAt >= missRebuildInterval.toMillis()) {
            m = index(realm, true).part(method).ids.lookup(id);
        }
        return m;
    }

    /**
     * Whether a client authenticating by {@code method} whose clientId is {@code id} may exist, so
     * that the caller must look it up by clientId. False only when the index knows clients that
     * accept {@code id} through svid.spiffe.id and none named exactly {@code id}: then the lookup
     * by clientId could only miss, or find a clientId that differs in case, which callers refuse
     * ({@link ExactClientLookup}); and Keycloak does not cache misses (every one is a database
     * query, serialized per clientId across concurrent requests).
     */
    public boolean mayHaveClientNamed(RealmModel realm, SvidMethod method, SpiffeId id) {
        Part part = index(realm, false).part(method);
        return part.named.contains(id.toString()) || part.ids.lookup(id).isEmpty();
    }

    /** Forgets a realm's index (a client changed). */
    public void invalidate(String realmId) {
        generation.incrementAndGet();
        realms.remove(realmId);
    }

    public void clear() {
        generation.incrementAndGet();
        realms.clear();
    }

    /** Number of indexed SPIFFE ID values per realm id, for Server Info. */
    public Map<String, Integer> sizes() {
        Map<String, Integer> out = new HashMap<>();
        realms.forEach((k, v) -> out.put(k, v.parts.values().stream().mapToInt(p -> p.ids.size()).sum()));
        return out;
    }

    private RealmIndex index(RealmModel realm, boolean force) {
        long now = clock.millis();
        String realmId = realm.getId();
        RealmIndex current = realms.get(realmId);
        if (!force && current != null && now - current.builtAt < ttl.toMillis()) {
            return current;
        }
        if (current != null) {
            // Due for a rebuild: one request rebuilds, the others keep using the current index
            // meanwhile (it is at most as stale as the TTL already allows).
            if (!current.rebuilding.compareAndSet(false, true)) {
                return current;
            }
            if (!force && refreshInBackground(current, realmId, realm.getName())) {
                return current;
            }
            try {
                return rebuild(realm, realmId, now);
            } finally {
                current.rebuilding.set(false);
            }
        }
        // No index yet (first use, or a client changed): build it once, concurrent requests wait for it.
        synchronized (buildLocks.computeIfAbsent(realmId, k -> new Object())) {
            RealmIndex built = realms.get(realmId);
            if (built != null && (!force || built.builtAt >= now)) {
                return built;
            }
            return rebuild(realm, realmId, clock.millis());
        }
    }

    /**
     * A TTL refresh on the refresher thread, so that no request waits for it (reading and building
     * the index of a large realm is slow: BENCHMARKS.md, "Scale: why 10,000 clients missed, and
     * what fixed it"). False when it cannot run there
     * (no refresher, the source needs the request's session, or the refresher is saturated): then
     * the calling request rebuilds. A failed read keeps the current index; the next request past
     * the TTL tries again.
     */
    private boolean refreshInBackground(RealmIndex current, String realmId, String realmName) {
        if (refresher == null || !source.readsDetached()) {
            return false;
        }
        try {
            refresher.execute(() -> {
                try {
                    long generationBefore = generation.get();
                    long started = clock.millis();
                    RealmIndex.Builder b = new RealmIndex.Builder();
                    if (source.forEachSvidClientDetached(realmId, realmName, b::add)) {
                        RealmIndex fresh = b.build(realmName, started);
                        // Publish unless a client changed meanwhile or the realm's index was dropped.
                        if (generation.get() == generationBefore) {
                            realms.replace(realmId, current, fresh);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warnf("client-svid-jwt: refreshing the SPIFFE ID index of realm %s failed: %s", realmName, e.toString());
                } finally {
                    current.rebuilding.set(false);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Builds and publishes, unless a client changed meanwhile (then the result serves this request only). */
    private RealmIndex rebuild(RealmModel realm, String realmId, long now) {
        long generationBefore = generation.get();
        RealmIndex fresh = RealmIndex.build(source, realm, now);
        if (generation.get() == generationBefore) {
            realms.put(realmId, fresh);
        }
        return fresh;
    }

    /** The index of one realm's clients of one {@link SvidMethod}. */
    private static final class Part {
        static final Part EMPTY = new Part(SpiffeIdIndex.builder().build(), Set.of());

        final SpiffeIdIndex ids;
        /** clientIds that look like SPIFFE IDs, exactly as stored. */
        final Set<String> named;

        Part(SpiffeIdIndex ids, Set<String> named) {
            this.ids = ids;
            this.named = named;
        }
    }

    /** One realm's index, a {@link Part} per method, and when it was built. */
    private static final class RealmIndex {
        final Map<SvidMethod, Part> parts;
        final long builtAt;
        /** Set while one request rebuilds this realm's index. */
        final AtomicBoolean rebuilding = new AtomicBoolean();

        RealmIndex(Map<SvidMethod, Part> parts, long builtAt) {
            this.parts = parts;
            this.builtAt = builtAt;
        }

        Part part(SvidMethod method) {
            return parts.getOrDefault(method, Part.EMPTY);
        }

        static RealmIndex build(ClientSource source, RealmModel realm, long now) {
            Builder b = new Builder();
            source.forEachSvidClient(realm, b::add);
            return b.build(realm.getName(), now);
        }

        /** Collects a realm's SVID clients into an index. */
        static final class Builder {
            private final long started = System.nanoTime();
            private final Map<SvidMethod, SpiffeIdIndex.Builder> ids = new EnumMap<>(SvidMethod.class);
            private final Map<SvidMethod, Set<String>> named = new EnumMap<>(SvidMethod.class);

            void add(SvidMethod method, String clientId, String spiffeIds) {
                SpiffeIdIndex.Builder b = ids.computeIfAbsent(method, m -> SpiffeIdIndex.builder());
                for (SpiffeIdPattern p : SvidClientConfig.spiffeIds(spiffeIds)) {
                    b.add(p, clientId);
                }
                if (clientId.startsWith("spiffe://")) {
                    named.computeIfAbsent(method, m -> new HashSet<>()).add(clientId);
                }
            }

            RealmIndex build(String realmName, long builtAt) {
                Map<SvidMethod, Part> parts = new EnumMap<>(SvidMethod.class);
                ids.forEach((method, b) -> parts.put(method, new Part(b.build(), named.getOrDefault(method, Set.of()))));
                if (LOG.isDebugEnabled()) {
                    parts.forEach((method, p) -> LOG.debugf("Indexed %d SPIFFE ID values and %d SPIFFE ID clientIds of %s clients of realm %s in %d ms",
                            p.ids.size(), p.named.size(), method.providerId(), realmName, (System.nanoTime() - started) / 1_000_000));
                }
                return new RealmIndex(parts, builtAt);
            }
        }
    }
}
