package dev.svidauth.keycloak.trustdomain;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.RealmModel;
import org.keycloak.services.ui.extend.UiPageProvider;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One trust domain of a realm: its name, where its JWT-SVID keys are published (a SPIFFE bundle
 * endpoint, a JWKS such as the SPIRE OIDC Discovery Provider's {@code /keys}, or OIDC discovery
 * from the issuer), its pinned issuer and the defaults for the clients that rely on it
 * (algorithms, maximum lifetime, clock skew).
 *
 * <p>Stored as a Keycloak component of the realm (provider type {@link UiPageProvider}, provider
 * id {@value #PROVIDER_ID}): realm data, cached with the realm, replicated in
 * a cluster, exported and imported with the realm, and edited on its own admin console page.
 * The config keys below are the public contract of an entry.
 */
public final class TrustDomainEntry {

    /** The component provider id of trust-domain entries (public contract), also their admin console page's. */
    public static final String PROVIDER_ID = "svid-trust-domain";

    /** The trust domain name, e.g. {@code example.org} (no scheme, port or path). */
    public static final String TRUST_DOMAIN = "trustDomain";
    /** Key source: a SPIFFE bundle endpoint ({@code https_web} profile). */
    public static final String BUNDLE_ENDPOINT_URL = "bundleEndpointUrl";
    /** Key source: a JWKS URL (the SPIRE OIDC Discovery Provider's {@code /keys}). */
    public static final String JWKS_URI = "jwksUri";
    /** Pinned {@code iss}; with neither URL above, the key source is discovered from it. */
    public static final String ISSUER = "issuer";
    public static final String ALGORITHMS = "algorithms";
    public static final String MAX_LIFETIME = "maxLifetime";
    public static final String CLOCK_SKEW = "clockSkew";
    /**
     * Default of {@code svid.audience.endpoints} for the clients relying on the entry: {@code true}
     * accepts the token endpoint URL and the URL of the endpoint called as {@code aud} besides the
     * realm issuer (an opt-in for a trust domain whose workloads cannot mint for the issuer yet).
     */
    public static final String AUDIENCE_ENDPOINTS = "audienceEndpoints";
    /**
     * Further URLs that publish this trust domain's keys (e.g. the SPIRE OIDC Discovery Provider's
     * {@code /keys} beside the bundle endpoint), {@code ##}-separated, which a client may name as its
     * own {@code svid.jwks.uri} / {@code svid.bundle.uri}. Only a realm administrator edits an entry,
     * so these are vouched for by the realm as the entry's own key source is; no other client key
     * source is accepted for the trust domain ({@link TrustDomainAuthority}).
     */
    public static final String CLIENT_KEY_SOURCES = "clientKeySources";
    /**
     * {@code true}: several clients of one authentication method may accept the same SPIFFE ID of
     * this trust domain (exact, or through overlapping {@code /*} patterns), the workload choosing
     * with {@code client_id}. Off by default: a client cannot take a SPIFFE ID another client holds.
     * A realm-level switch on purpose: neither a client attribute nor registration metadata can set it.
     */
    public static final String SHARED_SPIFFE_IDS = "sharedSpiffeIds";

    /** Every field, in the order the admin console shows them. */
    public static final List<String> ALL = List.of(TRUST_DOMAIN, BUNDLE_ENDPOINT_URL, JWKS_URI, ISSUER, ALGORITHMS,
            MAX_LIFETIME, CLOCK_SKEW, AUDIENCE_ENDPOINTS, CLIENT_KEY_SOURCES, SHARED_SPIFFE_IDS);

    /** The client attribute whose role each default field plays for the clients relying on the entry. */
    private static final Map<String, String> DEFAULTS = Map.of(
            SvidClientConfig.ALGORITHMS, ALGORITHMS,
            SvidClientConfig.MAX_LIFETIME, MAX_LIFETIME,
            SvidClientConfig.CLOCK_SKEW, CLOCK_SKEW,
            SvidClientConfig.AUDIENCE_ENDPOINTS, AUDIENCE_ENDPOINTS);

    private final String id;
    private final Function<String, String> values;

    private TrustDomainEntry(String id, Function<String, String> values) {
        this.id = id;
        this.values = values;
    }

    /** The entry a component holds (whether or not it is valid: see {@link #validate}). */
    public static TrustDomainEntry of(ComponentModel component) {
        return new TrustDomainEntry(component.getId(), component::get);
    }

    /** Whether a component is a trust-domain entry. */
    static boolean isEntry(ComponentModel component) {
        return PROVIDER_ID.equals(component.getProviderId());
    }

    /** The trust-domain entries of a realm, from Keycloak's realm cache. */
    public static Stream<ComponentModel> components(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), UiPageProvider.class.getName()).filter(TrustDomainEntry::isEntry);
    }

    /** The realm's entry for a trust domain, or null. */
    public static TrustDomainEntry find(RealmModel realm, String trustDomain) {
        return components(realm).filter(c -> trustDomain.equals(c.get(TRUST_DOMAIN))).findFirst()
                .map(TrustDomainEntry::of).orElse(null);
    }

    /** The component id. */
    public String id() {
        return id;
    }

    public String trustDomain() {
        return values.apply(TRUST_DOMAIN);
    }

    /** The configured value of a field, or null when it is empty. */
    String value(String field) {
        return SvidClientConfig.trimToNull(values.apply(field));
    }

    /** The key-source URL (bundle endpoint or JWKS), or null to discover it from the issuer. */
    String keySourceUrl() {
        String bundle = value(BUNDLE_ENDPOINT_URL);
        return bundle != null ? bundle : value(JWKS_URI);
    }

    /** The extra key-source URLs clients may name ({@value #CLIENT_KEY_SOURCES}), trimmed, in order. */
    List<String> clientKeySources() {
        return List.copyOf(SvidClientConfig.splitSet(values.apply(CLIENT_KEY_SOURCES)));
    }

    /** Whether clients may share SPIFFE IDs of this trust domain ({@value #SHARED_SPIFFE_IDS}). */
    boolean allowsSharedSpiffeIds() {
        return "true".equalsIgnoreCase(SvidClientConfig.trimToNull(values.apply(SHARED_SPIFFE_IDS)));
    }

    /**
     * Whether a client's own key source is this entry's: its {@code svid.jwks.uri} (or
     * {@code svid.bundle.uri}) is the entry's key-source URL or one of its
     * {@value #CLIENT_KEY_SOURCES}; or, with no URL, its {@code svid.issuer} is the entry's pinned
     * issuer (discovery from the issuer the realm pinned). Exact string comparison after trimming.
     */
    public boolean ownsKeySourceOf(SvidClientConfig client) {
        URI url = client.jwksUri();
        if (url != null) {
            String text = url.toString();
            return text.equals(keySourceUrl()) || clientKeySources().contains(text);
        }
        String issuer = client.policy().issuer();
        return client.method() == SvidMethod.JWT && issuer != null && issuer.equals(value(ISSUER));
    }

    /** The entry's values in the roles of the client attributes they stand in for (no SPIFFE IDs). */
    private String asClientAttribute(String attribute) {
        if (attribute.equals(SvidClientConfig.JWKS_URI)) {
            return keySourceUrl();
        }
        if (attribute.equals(SvidClientConfig.ISSUER)) {
            return values.apply(ISSUER); // untrimmed: white space around a pinned issuer is an error
        }
        String field = DEFAULTS.get(attribute);
        return field == null ? null : values.apply(field);
    }

    /**
     * The settings of a client without its own key source for SVIDs of this trust domain: the
     * entry's key source and issuer pin; the client's algorithms, lifetime, skew and endpoint
     * audiences where it sets them, else the entry's, else the built-in defaults; everything else
     * from the client. A client that demands the issuer alone ({@code svid.audience.issuer.only})
     * never takes the entry's endpoint audiences: its stricter choice stands.
     */
    SvidClientConfig settingsFor(Function<String, String> clientAttributes) {
        return SvidClientConfig.read(attribute -> {
            if (attribute.equals(SvidClientConfig.JWKS_URI) || attribute.equals(SvidClientConfig.ISSUER)) {
                return asClientAttribute(attribute);
            }
            String own = clientAttributes.apply(attribute);
            if (own != null && !own.isBlank()) {
                return own;
            }
            if (attribute.equals(SvidClientConfig.AUDIENCE_ENDPOINTS)
                    && "true".equalsIgnoreCase(SvidClientConfig.trimToNull(clientAttributes.apply(SvidClientConfig.AUDIENCE_ISSUER_ONLY)))) {
                return null;
            }
            return DEFAULTS.containsKey(attribute) ? asClientAttribute(attribute) : own;
        });
    }

    /**
     * The settings of a {@code client-svid-x509} client without its own bundle endpoint for
     * X.509-SVIDs of this trust domain: the entry's key-source URL as bundle endpoint (its
     * {@code x509-svid} authorities verify the chain), the client's clock skew, else the entry's.
     * An entry that only names an issuer has no bundle for X.509-SVIDs.
     */
    SvidClientConfig x509SettingsFor(Function<String, String> clientAttributes) {
        return SvidClientConfig.readX509(attribute -> {
            if (attribute.equals(SvidClientConfig.BUNDLE_URI)) {
                return keySourceUrl();
            }
            String own = clientAttributes.apply(attribute);
            return attribute.equals(SvidClientConfig.CLOCK_SKEW) && (own == null || own.isBlank())
                    ? values.apply(CLOCK_SKEW) : own;
        });
    }

    /**
     * The settings of a {@code client-svid-wit} client of this trust domain: the entry's bundle
     * (its {@code wit-svid} keys), the client's own clock skew or else the entry's, the client's
     * PoP window.
     */
    SvidClientConfig witSettingsFor(Function<String, String> clientAttributes) {
        return SvidClientConfig.readWit(attribute -> {
            if (attribute.equals(SvidClientConfig.BUNDLE_URI)) {
                return keySourceUrl();
            }
            String own = clientAttributes.apply(attribute);
            return attribute.equals(SvidClientConfig.CLOCK_SKEW) && (own == null || own.isBlank())
                    ? values.apply(CLOCK_SKEW) : own;
        });
    }

    /** The entry's settings alone, read as a client's would be. */
    SvidClientConfig settings() {
        return SvidClientConfig.read(this::asClientAttribute);
    }

    /**
     * What is wrong with the entry, each problem naming its field; empty when it may be stored.
     * The same rules as for client attributes, plus the trust domain name (the rules of a SPIFFE
     * ID's trust domain) and exactly one way to find the keys.
     */
    public List<ConfigError> validate(KeySourcePolicy policy) {
        List<ConfigError> errors = new ArrayList<>();
        String name = values.apply(TRUST_DOMAIN);
        if (name == null || name.isBlank()) {
            errors.add(ConfigError.missing(TRUST_DOMAIN, TRUST_DOMAIN + ": required, the trust domain name (e.g. example.org)"));
        } else {
            try {
                SpiffeId.checkTrustDomainName(name);
            } catch (InvalidSpiffeIdException e) {
                errors.add(ConfigError.invalid(TRUST_DOMAIN, e.getMessage()));
            }
        }
        String bundle = value(BUNDLE_ENDPOINT_URL);
        String jwks = value(JWKS_URI);
        String urlField = bundle != null ? BUNDLE_ENDPOINT_URL : JWKS_URI;
        if (bundle != null && jwks != null) {
            errors.add(ConfigError.invalid(JWKS_URI, "set either " + BUNDLE_ENDPOINT_URL + " or " + JWKS_URI + ", not both"));
        } else if (bundle == null && jwks == null && value(ISSUER) == null) {
            errors.add(ConfigError.missing(BUNDLE_ENDPOINT_URL, BUNDLE_ENDPOINT_URL + ": set a key source: "
                    + BUNDLE_ENDPOINT_URL + " (SPIFFE bundle endpoint), " + JWKS_URI + " (e.g. the SPIRE OIDC Discovery"
                    + " Provider's /keys), or " + ISSUER + " to discover it"));
        }
        SvidClientConfig settings = settings();
        for (ConfigError e : settings.errors()) {
            if (!SvidClientConfig.isMissingKeySource(e)) {
                errors.add(renamed(e, urlField));
            }
        }
        if (errors.isEmpty()) {
            ConfigError refusal = policy.saveTimeRefusal(settings);
            if (refusal != null) {
                errors.add(renamed(refusal, urlField));
            }
        }
        for (String url : clientKeySources()) {
            // each must be a key-source URL the fetch-time guard would allow, as the entry's own
            List<ConfigError> urlErrors = new ArrayList<>();
            SvidClientConfig asClient = SvidClientConfig.read(a -> a.equals(SvidClientConfig.JWKS_URI) ? url : null);
            asClient.errors().stream().filter(e -> e.attribute().equals(SvidClientConfig.JWKS_URI)).forEach(urlErrors::add);
            if (urlErrors.isEmpty()) {
                ConfigError refusal = policy.saveTimeRefusal(asClient);
                if (refusal != null) {
                    urlErrors.add(refusal);
                }
            }
            urlErrors.forEach(e -> errors.add(new ConfigError(CLIENT_KEY_SOURCES, e.kind(), CLIENT_KEY_SOURCES
                    + (e.message().startsWith(e.attribute()) ? e.message().substring(e.attribute().length()) : ": " + e.message()))));
        }
        String shared = SvidClientConfig.trimToNull(values.apply(SHARED_SPIFFE_IDS));
        if (shared != null && !shared.equalsIgnoreCase("true") && !shared.equalsIgnoreCase("false")) {
            errors.add(ConfigError.invalid(SHARED_SPIFFE_IDS, "must be true or false"));
        }
        return errors;
    }

    /** A client-attribute error restated for the entry field playing that attribute's role. */
    private static ConfigError renamed(ConfigError e, String urlField) {
        String field = switch (e.attribute()) {
            case SvidClientConfig.JWKS_URI -> urlField;
            case SvidClientConfig.ISSUER -> ISSUER;
            default -> DEFAULTS.getOrDefault(e.attribute(), e.attribute());
        };
        String message = e.message().startsWith(e.attribute()) ? field + e.message().substring(e.attribute().length())
                : e.message();
        return new ConfigError(field, e.kind(), message);
    }
}
