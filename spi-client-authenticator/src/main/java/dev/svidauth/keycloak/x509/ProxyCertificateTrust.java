package dev.svidauth.keycloak.x509;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import java.util.Optional;
import java.util.Set;

/**
 * Whether {@code client-svid-x509} may use a client certificate that Keycloak's configured
 * {@link X509ClientCertificateLookup} took from a request header (a TLS-terminating proxy's
 * forwarded certificate) rather than from Keycloak's own TLS handshake.
 *
 * <p>Keycloak's header lookups ({@code nginx}, {@code haproxy}, {@code apache}, {@code envoy},
 * {@code traefik}, {@code rfc9440}, ...) read the header only from a trusted proxy, but Keycloak
 * treats EVERY address as a trusted proxy while {@code proxy-trusted-addresses} is unset
 * ({@code HttpRequest.isProxyTrusted()} in Keycloak 26.4 to 26.7). A certificate is public: anyone
 * who has seen one could then send it in the header straight to Keycloak, with no TLS and no
 * private key, and be authenticated as its workload. So a forwarded certificate is used only when
 * Keycloak's proxy trust is explicitly configured; otherwise it is ignored (the request has no
 * certificate: {@code no_certificate}), which a WARN at start-up and Server Info say.
 *
 * <p>Only Keycloak's TLS lookups ({@code quarkus}, the distribution's default, which reads the
 * certificate of the Vert.x TLS handshake, and {@code default}) read the certificate of the
 * handshake; every other lookup, a custom one included, is taken to read a header (fail closed).
 *
 * @param lookup           the id of the server's X.509 certificate lookup provider
 * @param trustedAddresses Keycloak's {@code proxy-trusted-addresses}, or null when unset
 */
record ProxyCertificateTrust(String lookup, String trustedAddresses) {

    private static final Logger LOG = Logger.getLogger(ProxyCertificateTrust.class);

    /**
     * The lookups of Keycloak's own TLS handshake: {@code quarkus} ({@code VertxClientCertificateLookupFactory},
     * what the Quarkus distribution uses unless another lookup is configured) and {@code default}
     * ({@code DefaultClientCertificateLookupFactory}).
     */
    static final Set<String> TLS_LOOKUPS = Set.of("quarkus", "default");
    /** What an unknown lookup counts as when the server names none. */
    static final String TLS_LOOKUP = "quarkus";
    /** Keycloak's option, as its configuration names it ({@code --proxy-trusted-addresses}, {@code KC_PROXY_TRUSTED_ADDRESSES}). */
    static final String TRUSTED_ADDRESSES_PROPERTY = "kc.proxy-trusted-addresses";
    /** Server Info key (under {@code client-svid-x509}) saying what becomes of a forwarded certificate. */
    static final String INFO_FORWARDED = "forwarded-client-certificates";
    /** Server Info key naming the X.509 certificate lookup in use. */
    static final String INFO_LOOKUP = "client-certificate-lookup";

    ProxyCertificateTrust {
        lookup = lookup == null ? TLS_LOOKUP : lookup;
        trustedAddresses = trustedAddresses == null || trustedAddresses.isBlank() ? null : trustedAddresses.strip();
    }

    /** The running server's lookup and proxy trust. */
    static ProxyCertificateTrust of(KeycloakSessionFactory factory) {
        ProviderFactory<X509ClientCertificateLookup> lookup = factory.getProviderFactory(X509ClientCertificateLookup.class);
        return new ProxyCertificateTrust(lookup == null ? null : lookup.getId(), configuredTrustedAddresses().orElse(null));
    }

    /**
     * Keycloak's {@code proxy-trusted-addresses}, read from Keycloak's own configuration (every
     * source: command line, environment, {@code keycloak.conf}), as Keycloak's request reads it.
     * Unreadable counts as unset: the forwarded certificate is then ignored.
     */
    static Optional<String> configuredTrustedAddresses() {
        try {
            return ConfigProvider.getConfig().getOptionalValue(TRUSTED_ADDRESSES_PROPERTY, String.class);
        } catch (RuntimeException | LinkageError e) {
            LOG.debugf("svid-auth: Keycloak's %s could not be read (%s); forwarded client certificates are ignored",
                    TRUSTED_ADDRESSES_PROPERTY, e);
            return Optional.empty();
        }
    }

    /** Whether the lookup reads the certificate from a request header (anything but Keycloak's TLS lookups). */
    boolean forwarded() {
        return !TLS_LOOKUPS.contains(lookup);
    }

    /** Whether a certificate the lookup found must be ignored: it came from a header no configured proxy trust guards. */
    boolean ignoresForwardedCertificates() {
        return forwarded() && trustedAddresses == null;
    }

    /** What Server Info shows under {@value #INFO_FORWARDED}. */
    String serverInfo() {
        if (!forwarded()) {
            return "not read: the certificate of Keycloak's own TLS handshake is used (lookup '" + lookup + "')";
        }
        return ignoresForwardedCertificates()
                ? "IGNORED: lookup '" + lookup + "' reads a request header, but proxy-trusted-addresses is not set"
                + " (Keycloak would take the header from any address); set it to the TLS proxy's addresses"
                : "used from proxy-trusted-addresses only (" + trustedAddresses + ")";
    }

    /** The start-up warning, or null when there is nothing to warn about. */
    String warning() {
        return ignoresForwardedCertificates()
                ? "svid-auth: the X.509 client certificate lookup '" + lookup + "' reads the client certificate from a request"
                + " header, but Keycloak's proxy-trusted-addresses is not set, so Keycloak would accept that header from any"
                + " address; client-svid-x509 IGNORES forwarded certificates (no_certificate) until --proxy-trusted-addresses"
                + " names the TLS proxy's addresses"
                : null;
    }

    /** Why the certificate of this request was not used, for the caller and the event. */
    String ignoredReason() {
        return "the client certificate forwarded in a request header was ignored: Keycloak's proxy trust"
                + " (proxy-trusted-addresses) is not configured, so the header could come from anybody";
    }
}
