package dev.svidauth.keycloak.trustdomain;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientIndex;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.TreeSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The rules that make a trust domain's authority the realm's, not a client's: a SPIFFE ID in a
 * token must be vouched for by its trust domain alone, never by whoever configured a client.
 * <ul>
 *   <li><b>Key sources.</b> Where the realm has a {@link TrustDomainEntry} for a trust domain, a
 *       client may name its own key source ({@code svid.jwks.uri}, {@code svid.issuer} discovery,
 *       {@code svid.bundle.uri}) for that trust domain only when it is the entry's own
 *       ({@link TrustDomainEntry#ownsKeySourceOf}). Otherwise whoever may edit one client (a
 *       registrant, an administrator of that client only) could make Keycloak accept SVIDs signed
 *       with their own key for any SPIFFE ID of the trust domain. Refused on save; a client stored
 *       before is verified with the entry's key source instead ({@link KeySourceSelection}).</li>
 *   <li><b>SPIFFE IDs.</b> A client may not accept an exact SPIFFE ID, or a {@code /*} pattern
 *       covering or overlapping one, that another client of the same authentication method
 *       already accepts, unless the trust domain's entry allows sharing
 *       ({@value TrustDomainEntry#SHARED_SPIFFE_IDS}). Otherwise a newcomer could make the genuine
 *       workload's requests without {@code client_id} ambiguous (a denial of service) or take
 *       tokens under its identity.</li>
 * </ul>
 * Both rules are checked on every save (admin API, console, dynamic registration) by
 * the client validation ({@code admin.SvidClientValidationProvider}), and listed for realms stored before them by
 * {@link #conflicts(RealmModel)} (Server Info and the diagnose endpoint).
 */
public final class TrustDomainAuthority {

    /** One SVID client as stored: how it authenticates, its clientId, its raw {@code svid.spiffe.id}. */
    record Holder(SvidMethod method, String clientId, String spiffeIds) {
    }

    /** Most conflicts listed for one realm; a realm with more needs fixing anyway. */
    static final int MAX_LISTED = 100;

    private TrustDomainAuthority() {
    }

    /**
     * Why {@code config}'s own key source may not be used: the first trust domain of the client
     * that has an entry whose key source it is not; null when it names none, or only entries' own.
     * The message names the attribute and the trust domain, never a URL (registrants read it).
     */
    public static ConfigError keySourceConflict(SvidClientConfig config, String clientId, Function<String, TrustDomainEntry> entries) {
        if (!config.hasOwnKeySource()) {
            return null;
        }
        for (String td : config.trustDomains(clientId)) {
            TrustDomainEntry entry = entries.apply(td);
            if (entry != null && !entry.ownsKeySourceOf(config)) {
                String attribute = config.jwksUri() != null ? config.keySourceAttribute() : SvidClientConfig.ISSUER;
                return ConfigError.invalid(attribute, "trust domain '" + td + "' has a trust-domain entry in this realm,"
                        + " which alone says where its keys are: leave " + config.keySourceAttributes()
                        + " empty to use the entry's key source (a realm administrator may add further URLs of the trust"
                        + " domain to the entry's " + TrustDomainEntry.CLIENT_KEY_SOURCES + ")");
            }
        }
        return null;
    }

    /** What a client holds: its {@code svid.spiffe.id} values, and its clientId when that is a SPIFFE ID. */
    public static List<SpiffeIdPattern> heldSpiffeIds(String clientId, String spiffeIds) {
        List<SpiffeIdPattern> out = new ArrayList<>(SvidClientConfig.spiffeIds(spiffeIds));
        if (clientId != null && clientId.startsWith("spiffe://")) {
            try {
                SpiffeIdPattern named = SpiffeIdPattern.parse(clientId);
                if (!named.isPrefix() && !out.contains(named)) {
                    out.add(named);
                }
            } catch (InvalidSpiffeIdException e) {
                // a clientId that only looks like a SPIFFE ID accepts nothing by that name
            }
        }
        return out;
    }

    /**
     * Whether some SPIFFE ID is accepted by both: equal exact IDs, a pattern covering an exact ID,
     * or two patterns of which one covers the other (segment-safe, as {@link SpiffeIdPattern#matches}).
     */
    static boolean overlap(SpiffeIdPattern a, SpiffeIdPattern b) {
        if (!a.trustDomain().equals(b.trustDomain())) {
            return false;
        }
        if (!a.isPrefix() && !b.isPrefix()) {
            return a.path().equals(b.path());
        }
        if (a.isPrefix() && b.isPrefix()) {
            return a.path().equals(b.path()) || covers(a.path(), b.path()) || covers(b.path(), a.path());
        }
        SpiffeIdPattern prefix = a.isPrefix() ? a : b;
        SpiffeIdPattern exact = a.isPrefix() ? b : a;
        return covers(prefix.path(), exact.path());
    }

    /** Whether the pattern {@code base/*} accepts a path strictly below {@code base}. */
    private static boolean covers(String base, String path) {
        return path.length() > base.length() + 1 && path.startsWith(base) && path.charAt(base.length()) == '/';
    }

    /**
     * The values of {@code claims} that overlap a value held by one of {@code others} (clients of
     * the same method, the client itself excluded by the caller), in trust domains where
     * {@code sharingAllowed} is false; each with the clientId of one holder.
     */
    static Map<SpiffeIdPattern, String> overlaps(List<SpiffeIdPattern> claims, Iterable<Holder> others,
                                                 Predicate<String> sharingAllowed) {
        Map<SpiffeIdPattern, String> out = new HashMap<>();
        List<SpiffeIdPattern> guarded = claims.stream().filter(c -> !sharingAllowed.test(c.trustDomain())).toList();
        if (guarded.isEmpty()) {
            return out;
        }
        for (Holder other : others) {
            for (SpiffeIdPattern theirs : heldSpiffeIds(other.clientId(), other.spiffeIds())) {
                for (SpiffeIdPattern mine : guarded) {
                    if (!out.containsKey(mine) && overlap(mine, theirs)) {
                        out.put(mine, other.clientId());
                    }
                }
            }
        }
        return out;
    }

    /** The refusal of a save whose SPIFFE IDs another client already holds; it names neither that client nor its values. */
    public static ConfigError sharingRefusal(Collection<SpiffeIdPattern> taken) {
        return ConfigError.invalid(SvidClientConfig.SPIFFE_ID, new TreeSet<>(taken.stream().map(SpiffeIdPattern::toString).toList())
                + " overlaps a SPIFFE ID another client of this realm"
                + " already accepts with the same authentication method; a SPIFFE ID belongs to one client unless a realm"
                + " administrator sets " + TrustDomainEntry.SHARED_SPIFFE_IDS + " on the trust domain's entry");
    }

    /** Whether the realm's entry for a trust domain allows clients to share its SPIFFE IDs. */
    public static Predicate<String> entrySharing(RealmModel realm) {
        return td -> {
            TrustDomainEntry entry = TrustDomainEntry.find(realm, td);
            return entry != null && entry.allowsSharedSpiffeIds();
        };
    }

    /**
     * The values of {@code claims} that another client of {@code method} in {@code realm} holds too
     * (overlapping), outside trust domains where {@code sharing} allows it; each with that client's
     * clientId. Reads the stored values through {@code source} (one query), then re-checks each
     * candidate against the live client of this transaction, so that the client being saved
     * ({@code selfId}, null for one not yet created; {@code selfClientId}) never counts, even renamed.
     */
    public static Map<SpiffeIdPattern, String> takenByOthers(RealmModel realm, String selfId, String selfClientId, SvidMethod method,
                                                      List<SpiffeIdPattern> claims, SvidClientIndex.ClientSource source,
                                                      Predicate<String> sharing) {
        if (claims.isEmpty()) {
            return Map.of();
        }
        List<Holder> stored = new ArrayList<>();
        source.forEachSvidClient(realm, (m, clientId, ids) -> {
            if (m == method && !clientId.equals(selfClientId)) {
                stored.add(new Holder(m, clientId, ids));
            }
        });
        Map<SpiffeIdPattern, String> candidates = overlaps(claims, stored, sharing);
        if (candidates.isEmpty()) {
            return candidates;
        }
        List<Holder> live = new ArrayList<>();
        for (String clientId : new LinkedHashSet<>(candidates.values())) {
            ClientModel other = realm.getClientByClientId(clientId);
            if (other != null && !other.getId().equals(selfId) && method.usedBy(other)) {
                live.add(new Holder(method, other.getClientId(), other.getAttribute(SvidClientConfig.SPIFFE_ID)));
            }
        }
        return overlaps(claims, live, sharing);
    }

    /**
     * The realm's clients that break these rules, one sentence each (at most {@value #MAX_LISTED}):
     * own key sources for trust domains with an entry (their SVIDs are verified with the entry's
     * key source), and SPIFFE IDs accepted by several clients of one method in a trust domain whose
     * entry does not allow sharing. Walks every client of the realm: for admin views only.
     */
    public static List<String> conflicts(RealmModel realm) {
        Map<String, TrustDomainEntry> entries = new HashMap<>();
        TrustDomainEntry.components(realm).map(TrustDomainEntry::of).forEach(e -> {
            if (e.trustDomain() != null) {
                entries.putIfAbsent(e.trustDomain(), e);
            }
        });
        List<String> out = new ArrayList<>();
        List<Holder> holders = new ArrayList<>();
        realm.getClientsStream().forEach(c -> {
            SvidMethod method = SvidMethod.of(c.getClientAuthenticatorType());
            if (method == null) {
                return;
            }
            holders.add(new Holder(method, c.getClientId(), c.getAttribute(SvidClientConfig.SPIFFE_ID)));
            SvidClientConfig config = SvidClientConfig.read(method, c.getAttributes());
            ConfigError keySource = keySourceConflict(config, c.getClientId(), entries::get);
            if (keySource != null && out.size() < MAX_LISTED) {
                out.add("client '" + c.getClientId() + "' names its own key source (" + keySource.attribute() + ") for a trust"
                        + " domain with a trust-domain entry: its SVIDs are verified with the entry's key source; remove "
                        + keySource.attribute() + " or add the URL to the entry's " + TrustDomainEntry.CLIENT_KEY_SOURCES);
            }
        });
        Predicate<String> sharing = td -> entries.containsKey(td) && entries.get(td).allowsSharedSpiffeIds();
        for (Shared pair : sharedPairs(holders, sharing)) {
            if (out.size() >= MAX_LISTED) {
                break;
            }
            out.add("clients '" + pair.narrower() + "' and '" + pair.broader() + "' (" + pair.method().providerId()
                    + ") both accept " + pair.value() + ": give the SPIFFE ID to one client, or set "
                    + TrustDomainEntry.SHARED_SPIFFE_IDS + " on the entry of trust domain '" + pair.value().trustDomain() + "'");
        }
        return out;
    }

    /**
     * Two clients of one method that both accept {@code value}, a value {@code narrower} holds
     * that {@code broader} holds too or covers.
     */
    record Shared(SvidMethod method, String narrower, String broader, SpiffeIdPattern value) {
    }

    /**
     * Every pair of clients of the same method whose values overlap, in trust domains where
     * {@code sharing} is false, each pair once. Linear in the number of values times the path
     * depth: exact values and {@code /*} bases are looked up in maps, and each value only looks
     * for equal values and for patterns at its ancestors (a pattern covering a narrower value is
     * found from the narrower one).
     */
    static List<Shared> sharedPairs(List<Holder> holders, Predicate<String> sharing) {
        Map<String, List<String>> exact = new HashMap<>();
        Map<String, List<String>> prefixes = new HashMap<>();
        List<Map.Entry<Holder, SpiffeIdPattern>> values = new ArrayList<>();
        for (Holder h : holders) {
            for (SpiffeIdPattern p : heldSpiffeIds(h.clientId(), h.spiffeIds())) {
                if (sharing.test(p.trustDomain())) {
                    continue;
                }
                (p.isPrefix() ? prefixes : exact).computeIfAbsent(key(h.method(), p.trustDomain(), p.path()), k -> new ArrayList<>())
                        .add(h.clientId());
                values.add(Map.entry(h, p));
            }
        }
        Set<String> reported = new HashSet<>();
        List<Shared> out = new ArrayList<>();
        for (Map.Entry<Holder, SpiffeIdPattern> v : values) {
            Holder h = v.getKey();
            SpiffeIdPattern p = v.getValue();
            String path = p.path();
            List<String> same = (p.isPrefix() ? prefixes : exact).getOrDefault(key(h.method(), p.trustDomain(), path), List.of());
            for (String other : same) {
                report(h, other, p, reported, out);
            }
            for (int slash = path.lastIndexOf('/'); slash >= 0; slash = path.lastIndexOf('/', slash - 1)) {
                for (String other : prefixes.getOrDefault(key(h.method(), p.trustDomain(), path.substring(0, slash)), List.of())) {
                    report(h, other, p, reported, out);
                }
                if (slash == 0) {
                    break;
                }
            }
        }
        return out;
    }

    private static void report(Holder h, String other, SpiffeIdPattern value, Set<String> reported, List<Shared> out) {
        if (other.equals(h.clientId())) {
            return;
        }
        String a = h.clientId().compareTo(other) < 0 ? h.clientId() : other;
        String b = a.equals(h.clientId()) ? other : h.clientId();
        if (reported.add(h.method() + "\n" + a + "\n" + b)) {
            out.add(new Shared(h.method(), h.clientId(), other, value));
        }
    }

    private static String key(SvidMethod method, String trustDomain, String path) {
        return method + " " + trustDomain + path;
    }
}
