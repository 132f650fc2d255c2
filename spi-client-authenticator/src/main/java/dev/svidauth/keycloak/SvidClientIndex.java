package dev.svidauth.keycloak;

import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.jboss.logging.Logger;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the clients whose {@code svid.spiffe.id} accepts a SPIFFE ID, per realm, without scanning
 * every client on every request.
 *
 * <p>The index maps exact SPIFFE IDs and {@code /*} prefixes to client ids; a lookup walks the
 * SPIFFE ID's ancestors (O(path depth)). It is rebuilt when a client of the realm changes on this
 * node, after {@link #ttl} (changes made on other cluster nodes), and, at most once per
 * {@link #missRebuildInterval}, when a lookup finds nothing. Callers re-check every hit against
 * the live client, so a stale index can delay a new mapping but never grant a removed one.
 */
public final class SvidClientIndex {

    private static final Logger LOG = Logger.getLogger(SvidClientIndex.class);

    private final Clock clock;
    private final Duration ttl;
    private final Duration missRebuildInterval;
    private final Map<String, RealmIndex> realms = new ConcurrentHashMap<>();

    public SvidClientIndex(Clock clock, Duration ttl, Duration missRebuildInterval) {
        this.clock = clock;
        this.ttl = ttl;
        this.missRebuildInterval = missRebuildInterval;
    }

    /** Result of a lookup: the best matches (one, several when ambiguous, or none). */
    public static final class Matches {
        final List<String> clientIds;
        final boolean exact;

        Matches(List<String> clientIds, boolean exact) {
            this.clientIds = clientIds;
            this.exact = exact;
        }

        public List<String> clientIds() {
            return clientIds;
        }

        public boolean exact() {
            return exact;
        }
    }

    /**
     * The clients that accept {@code id}: all exact matches if any, else those with the longest
     * matching prefix.
     */
    public Matches lookup(RealmModel realm, SpiffeId id) {
        RealmIndex index = index(realm, false);
        Matches m = index.lookup(id);
        if (m.clientIds.isEmpty() && clock.millis() - index.builtAt >= missRebuildInterval.toMillis()) {
            m = index(realm, true).lookup(id);
        }
        return m;
    }

    /** Forgets a realm's index (a client changed). */
    public void invalidate(String realmId) {
        realms.remove(realmId);
    }

    public void clear() {
        realms.clear();
    }

    /** Number of indexed SPIFFE ID values per realm id, for Server Info. */
    public Map<String, Integer> sizes() {
        Map<String, Integer> out = new HashMap<>();
        realms.forEach((k, v) -> out.put(k, v.size));
        return out;
    }

    private RealmIndex index(RealmModel realm, boolean force) {
        long now = clock.millis();
        RealmIndex current = realms.get(realm.getId());
        if (!force && current != null && now - current.builtAt < ttl.toMillis()) {
            return current;
        }
        RealmIndex fresh = RealmIndex.build(realm, now);
        realms.put(realm.getId(), fresh);
        return fresh;
    }

    private static final class RealmIndex {
        /** "td/path" -> client ids, for exact values. */
        final Map<String, List<String>> exact = new HashMap<>();
        /** "td/prefix" (prefix may be empty) -> client ids, for /* values. */
        final Map<String, List<String>> prefixes = new HashMap<>();
        final long builtAt;
        int size;

        RealmIndex(long builtAt) {
            this.builtAt = builtAt;
        }

        static RealmIndex build(RealmModel realm, long now) {
            RealmIndex idx = new RealmIndex(now);
            realm.getClientsStream()
                    .filter(c -> SvidClientAuthenticatorFactory.PROVIDER_ID.equals(c.getClientAuthenticatorType()))
                    .forEach(idx::add);
            LOG.debugf("Indexed %d SPIFFE ID values of realm %s", idx.size, realm.getName());
            return idx;
        }

        void add(ClientModel client) {
            SvidClientConfig cfg = SvidClientConfig.read(client.getAttributes());
            for (SpiffeIdPattern p : cfg.spiffeIds()) {
                String key = p.trustDomain() + p.path();
                (p.isPrefix() ? prefixes : exact).computeIfAbsent(key, k -> new ArrayList<>(1)).add(client.getClientId());
                size++;
            }
        }

        Matches lookup(SpiffeId id) {
            List<String> hits = exact.get(id.trustDomain() + id.path());
            if (hits != null) {
                return new Matches(Collections.unmodifiableList(hits), true);
            }
            String path = id.path();
            int cut = path.lastIndexOf('/');
            while (cut >= 0) {
                path = path.substring(0, cut);
                List<String> p = prefixes.get(id.trustDomain() + path);
                if (p != null) {
                    return new Matches(Collections.unmodifiableList(p), false);
                }
                cut = path.lastIndexOf('/');
            }
            return new Matches(List.of(), false);
        }
    }
}
