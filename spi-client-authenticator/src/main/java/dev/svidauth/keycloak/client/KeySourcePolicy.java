package dev.svidauth.keycloak.client;

import dev.svidauth.keys.KeySourceAddressGuard;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.keycloak.models.RealmModel;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The rules for key-source URLs, one object for the token endpoint and the client validation:
 * no link-local or cloud-metadata addresses (when a client is saved and before every fetch,
 * {@link KeySourceAddressGuard}, unless {@code allow-link-local-key-sources}); only the hosts of
 * {@code key-source-allowed-hosts} when it is set (at save, at request time and before every
 * fetch); no query or fragment in a URL that is fetched (at save and at request time: a key
 * source or an issuer is a fixed resource, and a query would let whoever sets the URL choose what
 * a discovery endpoint or any other service on the host does for Keycloak); and plain http only
 * where the realm's <em>Require SSL</em> allows it for that host (at request time).
 */
public final class KeySourcePolicy {

    private final KeySourceAddressGuard guard;

    KeySourcePolicy(KeySourceAddressGuard guard) {
        this.guard = guard;
    }

    /**
     * The policy of the provider options {@code allow-link-local-key-sources} and
     * {@code key-source-allowed-hosts} (empty: any host).
     */
    public static KeySourcePolicy of(boolean allowLinkLocal, List<String> allowedHosts) {
        return new KeySourcePolicy(KeySourceAddressGuard.system(allowLinkLocal, allowedHosts));
    }

    /** The address check applied before every fetch. */
    public KeySourceAddressGuard addressGuard() {
        return guard;
    }

    public boolean allowsLinkLocal() {
        return guard.allowsLinkLocal();
    }

    /** Whether an allowlist of key-source hosts is configured (then every save must be checked against it). */
    public boolean hasAllowlist() {
        return !guard.allowedHosts().isEmpty();
    }

    /**
     * Request time, for every URL before it is read from the cache or fetched (the configured key
     * source, the discovery URL, the JWKS URI a discovery document names): no query or fragment,
     * a host of the allowlist when there is one ({@code client_misconfigured}), and plain http
     * only where the realm's ssl-required setting allows it for that host.
     */
    public void requireTransportSecurity(RealmModel realm, URI uri) throws SvidRejectedException {
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "key source " + uri
                    + " is refused: a key-source or issuer URL must not have a query or fragment");
        }
        if (!guard.hostAllowed(uri.getHost())) {
            throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, guard.refusal(uri));
        }
        if ("http".equals(uri.getScheme().toLowerCase(Locale.ROOT)) && realm.getSslRequired().isRequired(uri.getHost())) {
            throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "key source " + uri
                    + " must use https: realm '" + realm.getName() + "' requires SSL for host " + uri.getHost());
        }
    }

    /**
     * Save time: why the URL these settings will fetch is refused (the key source, or the
     * discovery URL of the pinned issuer when there is none), naming the attribute; null when it
     * is allowed or not valid anyway (the settings' own errors say so).
     */
    public ConfigError saveTimeRefusal(SvidClientConfig config) {
        if (config.jwksUri() != null) {
            return refusal(config.keySourceAttribute(), guard.refusal(config.jwksUri()));
        }
        if (config.policy().issuer() != null
                && config.errors().stream().noneMatch(e -> e.attribute().equals(SvidClientConfig.ISSUER))) {
            return refusal(SvidClientConfig.ISSUER, guard.refusal(KeySourceCache.discoveryUrl(config.policy().issuer())));
        }
        return null;
    }

    private static ConfigError refusal(String attribute, String refusal) {
        return refusal == null ? null : ConfigError.invalid(attribute, refusal);
    }
}
