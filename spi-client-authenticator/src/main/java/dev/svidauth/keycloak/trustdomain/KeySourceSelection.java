package dev.svidauth.keycloak.trustdomain;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import org.jboss.logging.Logger;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The one place that decides which settings and which key source verify an SVID for a resolved
 * client (used by the authenticator, and by anything that re-runs its checks):
 * <ul>
 *   <li>a client that names its own key source ({@code svid.jwks.uri} or {@code svid.issuer})
 *       uses it and its own settings, for the one trust domain of its SPIFFE IDs;</li>
 *   <li>a client without one uses the {@link TrustDomainEntry} of the SVID's trust domain: its
 *       key source and issuer pin, and its algorithms, lifetime and skew where the client sets
 *       none. Each SVID is verified only with its own trust domain's entry, so such a client may
 *       span trust domains.</li>
 * </ul>
 * Keys are bound to their trust domain either way: an SVID is never verified with a key source
 * chosen for another trust domain.
 *
 * <p>A trust domain's entry is its authority: a client that names its own key source for a trust
 * domain with an entry, one that is not the entry's own ({@link TrustDomainEntry#ownsKeySourceOf};
 * refused on save since, but stored before or imported), has its SVIDs of that trust domain
 * verified with the entry's key source and issuer pin as if it named none. Its workloads' genuine
 * SVIDs, signed by the trust domain, still verify; SVIDs signed with a key the client's own
 * source published do not. The conflict is logged once per client and listed by
 * {@link TrustDomainAuthority#conflicts}.
 */
public final class KeySourceSelection {

    private static final Logger LOG = Logger.getLogger(KeySourceSelection.class);
    /** Clients already warned about (a WARN on every request would flood the log); bounded, cleared when full. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    private static final int MAX_WARNED = 1024;

    /**
     * @param config the settings that verify the SVID
     * @param entry  the trust-domain entry they come from, or null for the client's own key source
     */
    public record Selected(SvidClientConfig config, TrustDomainEntry entry) {
    }

    private KeySourceSelection() {
    }

    /**
     * The settings verifying an SVID of {@code id} for {@code client}, whose own settings are {@code own}.
     *
     * @throws SvidRejectedException {@code client_misconfigured} (unusable settings, or no key
     *                               source for the SVID's trust domain) or {@code trust_domain_mismatch}
     */
    public static Selected select(RealmModel realm, ClientModel client, SvidClientConfig own, SpiffeId id)
            throws SvidRejectedException {
        String clientId = client.getClientId();
        List<ConfigError> invalid = own.errorsBesidesKeySource();
        if (!invalid.isEmpty()) {
            throw misconfigured(realm, client, invalid);
        }
        Set<String> domains = own.trustDomains(clientId);
        if (own.hasOwnKeySource()) {
            ConfigError mixed = own.trustDomainError(clientId);
            if (mixed != null) {
                LOG.warnf("svid-auth: client '%s' refused every SVID: %s", Printable.value(clientId), Printable.text(mixed.message()));
                throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "client '" + clientId
                        + "' cannot verify SVIDs: " + mixed.message());
            }
            if (!domains.contains(id.trustDomain())) {
                throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "SVID of trust domain '" + id.trustDomain()
                        + "' cannot be verified with the key source of client '" + clientId
                        + "', which serves trust domain " + domains);
            }
            TrustDomainEntry authority = TrustDomainEntry.find(realm, id.trustDomain());
            if (authority == null || authority.ownsKeySourceOf(own)) {
                return new Selected(own, null);
            }
            if (WARNED.size() >= MAX_WARNED) {
                WARNED.clear();
            }
            if (WARNED.add(realm.getId() + "\n" + client.getId())) {
                LOG.warnf("svid-auth: client '%s' of realm '%s' names its own key source for trust domain '%s', which has"
                        + " a trust-domain entry: its SVIDs are verified with the entry's key source", clientId,
                        realm.getName(), id.trustDomain());
            }
            return fromEntry(realm, client, own, authority, id);
        }
        if (!domains.contains(id.trustDomain())) {
            throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "SVID of trust domain '" + id.trustDomain()
                    + "' is not accepted by client '" + clientId + "', which accepts trust domains " + domains);
        }
        TrustDomainEntry entry = TrustDomainEntry.find(realm, id.trustDomain());
        if (entry == null) {
            LOG.warnf("svid-auth: client '%s' of realm '%s' has no key source for trust domain '%s'", Printable.value(clientId),
                    realm.getName(), id.trustDomain());
            throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "client '" + clientId
                    + "' has unusable SVID settings: no key source for trust domain '" + id.trustDomain() + "': set "
                    + own.keySourceAttributes().replace(" and ", " or ") + ", or add a trust-domain entry for '"
                    + id.trustDomain() + "' to realm '" + realm.getName() + "'");
        }
        return fromEntry(realm, client, own, entry, id);
    }

    /** The settings of {@code entry} for {@code client}: its key source and issuer pin, the client's other settings. */
    private static Selected fromEntry(RealmModel realm, ClientModel client, SvidClientConfig own, TrustDomainEntry entry, SpiffeId id)
            throws SvidRejectedException {
        SvidClientConfig settings = own.method() == SvidMethod.X509 ? entry.x509SettingsFor(client::getAttribute)
                : own.method() == SvidMethod.WIT ? entry.witSettingsFor(client::getAttribute)
                : entry.settingsFor(client::getAttribute);
        if (!settings.errors().isEmpty()) {
            throw misconfigured(realm, client, settings.errors().stream()
                    .map(e -> new ConfigError(e.attribute(), e.kind(), "trust-domain entry '" + id.trustDomain() + "': "
                            + e.message())).toList());
        }
        return new Selected(settings, entry);
    }

    private static SvidRejectedException misconfigured(RealmModel realm, ClientModel client, List<ConfigError> errors) {
        LOG.warnf("svid-auth: client '%s' of realm '%s' has unusable settings: %s", Printable.value(client.getClientId()),
                realm.getName(), Printable.text(errors.toString()));
        return new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "client '" + client.getClientId()
                + "' has unusable SVID settings: " + errors.stream().map(ConfigError::message).collect(Collectors.joining("; ")));
    }
}
