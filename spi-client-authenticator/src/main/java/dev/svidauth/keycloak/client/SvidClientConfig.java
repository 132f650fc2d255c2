package dev.svidauth.keycloak.client;


import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdPattern;
import dev.svidauth.svid.SvidPolicy;
import dev.svidauth.svid.WitSvidVerifier;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A client's {@code svid.*} attributes (the public contract in docs/DESIGN.md), read with their
 * defaults, and validated. The same reader serves the token endpoint (lenient: a bad value is a
 * {@code client_misconfigured} rejection) and the admin API (strict: {@link #validate} errors make
 * the save fail with 400 and nothing stored).
 */
public final class SvidClientConfig {

    public static final String SPIFFE_ID = "svid.spiffe.id";
    public static final String JWKS_URI = "svid.jwks.uri";
    public static final String ISSUER = "svid.issuer";
    public static final String AUDIENCES = "svid.audiences";
    public static final String MAX_LIFETIME = "svid.max.lifetime";
    public static final String CLOCK_SKEW = "svid.clock.skew";
    public static final String SINGLE_USE = "svid.single.use";
    public static final String ALGORITHMS = "svid.algorithms";
    /** {@code true}: {@code aud} must be the realm issuer only (draft-ietf-oauth-spiffe-client-auth-02). */
    public static final String AUDIENCE_ISSUER_ONLY = "svid.audience.issuer.only";
    /**
     * {@code true}: the realm's token endpoint URL and the URL of the client-authenticating endpoint
     * called are accepted as {@code aud} besides the issuer. An opt-in for workloads that cannot
     * mint for the issuer yet: by default only the issuer is accepted (draft-ietf-oauth-spiffe-client-auth-02,
     * draft-ietf-oauth-rfc7523bis).
     */
    public static final String AUDIENCE_ENDPOINTS = "svid.audience.endpoints";

    /**
     * Key source of a {@code client-svid-x509} client: the trust domain's SPIFFE bundle endpoint,
     * whose {@code x509-svid} authorities verify the client's certificate chain.
     */
    public static final String BUNDLE_URI = "svid.bundle.uri";
    /**
     * WIT-SVID clients: how many seconds old a proof of possession may be by its {@code iat}
     * (plus {@value #CLOCK_SKEW}); default 60, at most 300.
     */
    public static final String POP_MAX_AGE = "svid.pop.max.age";

    /** Every attribute of the contract, in the order the admin console shows them. */
    public static final List<String> ALL = List.of(SPIFFE_ID, JWKS_URI, ISSUER, AUDIENCES, AUDIENCE_ISSUER_ONLY,
            AUDIENCE_ENDPOINTS, MAX_LIFETIME, CLOCK_SKEW, SINGLE_USE, ALGORITHMS, BUNDLE_URI, POP_MAX_AGE);
    /** The attributes a {@code client-svid-x509} client reads (a certificate has no issuer, audience or claims). */
    public static final List<String> X509 = List.of(SPIFFE_ID, BUNDLE_URI, CLOCK_SKEW);
    /** The attributes a {@code client-svid-wit} client reads: the WIT-SVID's keys come from the bundle. */
    public static final List<String> WIT = List.of(SPIFFE_ID, BUNDLE_URI, CLOCK_SKEW, POP_MAX_AGE);

    private static final Pattern LIST_SEPARATOR = Pattern.compile("##|,");

    /** Upper bounds that catch typos (an SVID valid for a year is not a workload credential). */
    static final long MAX_LIFETIME_LIMIT = 24 * 3600;
    static final long MAX_CLOCK_SKEW_LIMIT = 600;
    static final long MAX_POP_MAX_AGE_LIMIT = 300;

    private final SvidMethod method;
    private final List<SpiffeIdPattern> spiffeIds;
    /** The key source: {@value #JWKS_URI} of a JWT-SVID client, {@value #BUNDLE_URI} of an X.509-SVID client. */
    private final URI jwksUri;
    private final SvidPolicy policy;
    private final List<ConfigError> errors;
    /** Whether {@value #JWKS_URI} or {@value #ISSUER} is set: the client names its own key source. */
    private final boolean ownKeySource;
    /** {@value #POP_MAX_AGE} of a WIT-SVID client; the default for the others. */
    private final Duration popMaxAge;

    private SvidClientConfig(SvidMethod method, List<SpiffeIdPattern> spiffeIds, URI jwksUri, SvidPolicy policy,
                             List<ConfigError> errors, boolean ownKeySource) {
        this(method, spiffeIds, jwksUri, policy, errors, ownKeySource, WitSvidVerifier.DEFAULT_POP_MAX_AGE);
    }

    private SvidClientConfig(SvidMethod method, List<SpiffeIdPattern> spiffeIds, URI jwksUri, SvidPolicy policy,
                             List<ConfigError> errors, boolean ownKeySource, Duration popMaxAge) {
        this.popMaxAge = popMaxAge;
        this.method = method;
        this.spiffeIds = spiffeIds;
        this.jwksUri = jwksUri;
        this.policy = policy;
        this.errors = errors;
        this.ownKeySource = ownKeySource;
    }

    /**
     * Reads the attributes. Never throws: problems are collected in {@link #errors()}, and the
     * affected setting falls back to its default (or, for the SPIFFE ID and key source, to nothing).
     */
    public static SvidClientConfig read(Function<String, String> attributes) {
        List<ConfigError> errors = new ArrayList<>();
        List<SpiffeIdPattern> ids = spiffeIds(attributes, errors);
        String issuer = trimToNull(attributes.apply(ISSUER));
        URI jwks = null;
        String jwksText = trimToNull(attributes.apply(JWKS_URI));
        if (jwksText != null) {
            jwks = httpUrl(JWKS_URI, jwksText, errors);
        } else if (issuer == null) {
            errors.add(ConfigError.missing(JWKS_URI, "set " + JWKS_URI
                    + " (the SPIRE OIDC Discovery Provider /keys or a SPIFFE bundle endpoint), or " + ISSUER + " to discover it"));
        } else {
            httpUrl(ISSUER, issuer, errors);
        }
        if (jwksText != null && issuer != null && (issuer.indexOf('?') >= 0 || issuer.indexOf('#') >= 0)) {
            // an issuer identifier has no query or fragment (RFC 8414 section 2, OpenID Connect Discovery 1.0 section 2)
            errors.add(ConfigError.invalid(ISSUER, "'" + issuer + "' must not have a query or fragment"));
        }
        if (issuer != null && !issuer.equals(attributes.apply(ISSUER))) {
            errors.add(ConfigError.invalid(ISSUER, "must not start or end with white space (it is compared byte for byte)"));
        }
        SvidPolicy.Builder policy = SvidPolicy.builder().issuer(issuer);
        Set<String> audiences = splitSet(attributes.apply(AUDIENCES));
        boolean issuerOnly = bool(attributes.apply(AUDIENCE_ISSUER_ONLY), AUDIENCE_ISSUER_ONLY, errors);
        if (issuerOnly && !audiences.isEmpty()) {
            errors.add(ConfigError.invalid(AUDIENCE_ISSUER_ONLY, "accepts the realm issuer only, so " + AUDIENCES
                    + " must be empty (it lists " + audiences + ")"));
            audiences = Set.of();
        }
        boolean endpoints = bool(attributes.apply(AUDIENCE_ENDPOINTS), AUDIENCE_ENDPOINTS, errors);
        if (issuerOnly && endpoints) {
            // contradictory: the strict setting wins until the administrator picks one
            errors.add(ConfigError.invalid(AUDIENCE_ENDPOINTS, "accepts the token endpoint URL and the URL"
                    + " of the endpoint called, which " + AUDIENCE_ISSUER_ONLY + " refuses; turn one of them off"));
            endpoints = false;
        }
        policy.audiences(audiences).issuerOnlyAudience(issuerOnly).endpointAudiences(endpoints);
        policy.maxLifetime(seconds(attributes.apply(MAX_LIFETIME), MAX_LIFETIME, SvidPolicy.DEFAULT_MAX_LIFETIME,
                1, MAX_LIFETIME_LIMIT, errors));
        policy.clockSkew(seconds(attributes.apply(CLOCK_SKEW), CLOCK_SKEW, SvidPolicy.DEFAULT_CLOCK_SKEW,
                0, MAX_CLOCK_SKEW_LIMIT, errors));
        policy.singleUse(bool(attributes.apply(SINGLE_USE), SINGLE_USE, errors));
        Set<String> algs = splitSet(attributes.apply(ALGORITHMS));
        if (!algs.isEmpty()) {
            Set<String> bad = new LinkedHashSet<>(algs);
            bad.removeAll(SvidPolicy.SUPPORTED_ALGORITHMS);
            if (bad.isEmpty()) {
                policy.algorithms(algs);
            } else {
                errors.add(ConfigError.invalid(ALGORITHMS, bad + " not supported; choose from " + SvidPolicy.SUPPORTED_ALGORITHMS));
            }
        }
        return new SvidClientConfig(SvidMethod.JWT, ids, jwks, policy.build(), Collections.unmodifiableList(errors),
                jwksText != null || issuer != null);
    }

    /**
     * Reads the attributes of a {@code client-svid-x509} client ({@link #X509}): its SPIFFE IDs,
     * its bundle endpoint ({@value #BUNDLE_URI}, or none when trust-domain entries supply it) and
     * the clock skew allowed on certificate validity. Never throws, as {@link #read(Function)}.
     */
    public static SvidClientConfig readX509(Function<String, String> attributes) {
        List<ConfigError> errors = new ArrayList<>();
        List<SpiffeIdPattern> ids = spiffeIds(attributes, errors);
        String bundleText = trimToNull(attributes.apply(BUNDLE_URI));
        URI bundle = null;
        if (bundleText != null) {
            bundle = httpUrl(BUNDLE_URI, bundleText, errors);
        } else {
            errors.add(ConfigError.missing(BUNDLE_URI, "set " + BUNDLE_URI
                    + " (the trust domain's SPIFFE bundle endpoint, which publishes its X.509 authorities)"));
        }
        SvidPolicy policy = SvidPolicy.builder().clockSkew(seconds(attributes.apply(CLOCK_SKEW), CLOCK_SKEW,
                SvidPolicy.DEFAULT_CLOCK_SKEW, 0, MAX_CLOCK_SKEW_LIMIT, errors)).build();
        return new SvidClientConfig(SvidMethod.X509, ids, bundle, policy, Collections.unmodifiableList(errors), bundleText != null);
    }

    /**
     * Reads the attributes of a {@code client-svid-wit} client ({@link #WIT}): as an X.509-SVID
     * client's (the bundle at {@value #BUNDLE_URI} holds the trust domain's {@code wit-svid} keys),
     * and {@value #POP_MAX_AGE}. Never throws, as {@link #read(Function)}.
     */
    public static SvidClientConfig readWit(Function<String, String> attributes) {
        SvidClientConfig bundle = readX509(attributes);
        List<ConfigError> errors = new ArrayList<>(bundle.errors);
        Duration popMaxAge = seconds(attributes.apply(POP_MAX_AGE), POP_MAX_AGE, WitSvidVerifier.DEFAULT_POP_MAX_AGE,
                1, MAX_POP_MAX_AGE_LIMIT, errors);
        return new SvidClientConfig(SvidMethod.WIT, bundle.spiffeIds, bundle.jwksUri, bundle.policy,
                Collections.unmodifiableList(errors), bundle.ownKeySource, popMaxAge);
    }

    /** {@value #POP_MAX_AGE}: how old a WIT-SVID's proof of possession may be by its {@code iat}. */
    public Duration popMaxAge() {
        return popMaxAge;
    }

    /** Reads from a client's attribute map. */
    public static SvidClientConfig read(Map<String, String> attributes) {
        return read(SvidMethod.JWT, attributes);
    }

    /** Reads a client's attribute map as the settings of {@code method}. */
    public static SvidClientConfig read(SvidMethod method, Map<String, String> attributes) {
        Map<String, String> copy = attributes == null ? Map.of() : new LinkedHashMap<>(attributes);
        return read(method, copy::get);
    }

    /** Reads attributes as the settings of {@code method}. */
    public static SvidClientConfig read(SvidMethod method, Function<String, String> attributes) {
        return switch (method) {
            case JWT -> read(attributes);
            case X509 -> readX509(attributes);
            case WIT -> readWit(attributes);
        };
    }

    private static List<SpiffeIdPattern> spiffeIds(Function<String, String> attributes, List<ConfigError> errors) {
        try {
            return SpiffeIdPattern.parseList(attributes.apply(SPIFFE_ID));
        } catch (InvalidSpiffeIdException e) {
            errors.add(ConfigError.invalid(SPIFFE_ID, e.getMessage()));
            return List.of();
        }
    }

    /** How the client authenticates: which attributes these settings were read from. */
    public SvidMethod method() {
        return method;
    }

    /** The attribute naming the client's own key source: {@value #JWKS_URI}, or {@value #BUNDLE_URI} for X.509-SVIDs. */
    public String keySourceAttribute() {
        return method.usesBundle() ? BUNDLE_URI : JWKS_URI;
    }

    /** How a client names its own key source, for messages. */
    public String keySourceAttributes() {
        return method.usesBundle() ? BUNDLE_URI : JWKS_URI + " and " + ISSUER;
    }

    /**
     * The SPIFFE IDs and patterns an {@code svid.spiffe.id} value accepts, for callers that need
     * only that attribute: none when it is unset or invalid (validation refuses to store an
     * invalid value; {@link #read} reports it as an error and accepts none too).
     */
    public static List<SpiffeIdPattern> spiffeIds(String svidSpiffeId) {
        try {
            return SpiffeIdPattern.parseList(svidSpiffeId);
        } catch (InvalidSpiffeIdException e) {
            return List.of();
        }
    }

    /** The accepted SPIFFE IDs and patterns (empty if unset or invalid). */
    public List<SpiffeIdPattern> spiffeIds() {
        return spiffeIds;
    }

    /**
     * Whether the client names its own key source ({@value #JWKS_URI} or {@value #ISSUER} set);
     * when not, the trust-domain entry of each SVID's trust domain supplies it ({@code trustdomain.KeySourceSelection}).
     */
    public boolean hasOwnKeySource() {
        return ownKeySource;
    }

    /** The problems of these settings other than the missing key source, which a trust-domain entry may supply. */
    public List<ConfigError> errorsBesidesKeySource() {
        return errors.stream().filter(e -> !isMissingKeySource(e)).toList();
    }

    public static boolean isMissingKeySource(ConfigError e) {
        return e.kind() == ConfigError.Kind.MISSING && (e.attribute().equals(JWKS_URI) || e.attribute().equals(BUNDLE_URI));
    }

    /** The configured key source, or null to discover it from the issuer (JWT-SVID clients only). */
    public URI jwksUri() {
        return jwksUri;
    }

    /** The SPIFFE bundle endpoint of an X.509-SVID client, or null (JWT-SVID clients: {@link #jwksUri}). */
    public URI bundleUri() {
        return method.usesBundle() ? jwksUri : null;
    }

    public SvidPolicy policy() {
        return policy;
    }

    /** Problems found, one per attribute value. Empty when the config is usable. */
    public List<ConfigError> errors() {
        return errors;
    }

    /**
     * Errors the admin API refuses to store: a missing SPIFFE ID, and SPIFFE IDs of several trust
     * domains ({@link #trustDomainError}), for a realm without trust-domain entries.
     */
    public List<ConfigError> validate(String clientId) {
        return validate(clientId, td -> false);
    }

    /**
     * Errors the admin API refuses to store. A client without its own key source needs none when
     * every trust domain of its SPIFFE IDs has a trust-domain entry ({@code hasEntry}); it may then
     * span trust domains, each SVID being verified with its own trust domain's entry.
     */
    public List<ConfigError> validate(String clientId, Predicate<String> hasEntry) {
        Set<String> domains = trustDomains(clientId);
        boolean entriesServeAll = !ownKeySource && !domains.isEmpty() && domains.stream().allMatch(hasEntry);
        List<ConfigError> all = new ArrayList<>(entriesServeAll ? errorsBesidesKeySource() : errors);
        if (spiffeIds.isEmpty() && errors.stream().noneMatch(e -> e.attribute().equals(SPIFFE_ID)) && !clientId.startsWith("spiffe://")) {
            all.add(0, ConfigError.missing(SPIFFE_ID, SPIFFE_ID + ": required for clients that authenticate with "
                    + (method == SvidMethod.X509 ? "an X.509-SVID" : method == SvidMethod.WIT ? "a WIT-SVID" : "a JWT-SVID")
                    + " (e.g. spiffe://example.org/ns/apps/sa/payments or spiffe://example.org/ns/apps/*)"));
        }
        ConfigError trustDomains = entriesServeAll ? null : trustDomainError(clientId);
        if (trustDomains != null) {
            all.add(0, trustDomains);
        }
        return all;
    }

    /**
     * The trust domains whose SVIDs this client accepts: those of its {@code svid.spiffe.id}
     * values, and that of its client ID when the client ID is itself a SPIFFE ID.
     */
    public Set<String> trustDomains(String clientId) {
        Set<String> domains = new TreeSet<>();
        spiffeIds.forEach(p -> domains.add(p.trustDomain()));
        if (clientId != null && clientId.startsWith("spiffe://")) {
            try {
                domains.add(SpiffeId.parse(clientId).trustDomain());
            } catch (InvalidSpiffeIdException e) {
                // a client ID that only looks like a SPIFFE ID accepts nothing by that name
            }
        }
        return domains;
    }

    /**
     * Why the key source cannot be used, when the client accepts SPIFFE IDs of more than one
     * trust domain; else null. A key source ({@value #JWKS_URI}, or discovery from
     * {@value #ISSUER}; {@value #BUNDLE_URI}) holds the keys of ONE trust domain: the SPIFFE Trust Domain and Bundle
     * specification has a validator use the bundle of the trust domain the SVID's SPIFFE ID
     * belongs to. Were one source used for IDs of two trust domains, the SPIRE server of one
     * could mint identities of the other.
     */
    public ConfigError trustDomainError(String clientId) {
        Set<String> domains = trustDomains(clientId);
        if (domains.size() < 2) {
            return null;
        }
        return ConfigError.invalid(SPIFFE_ID, "accepts SPIFFE IDs of " + domains.size() + " trust domains " + domains
                + ", but a key source serves exactly one trust domain; use one client per trust domain, or leave "
                + keySourceAttributes() + " empty and give each of these trust domains a trust-domain entry");
    }

    public static Set<String> splitSet(String value) {
        if (value == null || value.isBlank()) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(LIST_SEPARATOR.split(value)).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
        return out;
    }

    /** {@code true} or {@code false} in any case; empty means false; anything else is an error (and false). */
    private static boolean bool(String value, String name, List<ConfigError> errors) {
        String v = trimToNull(value);
        if (v != null && !v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            errors.add(ConfigError.invalid(name, "must be true or false, not '" + v + "'"));
        }
        return "true".equalsIgnoreCase(v);
    }

    static Duration seconds(String value, String name, Duration dflt, long min, long max, List<ConfigError> errors) {
        String v = trimToNull(value);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                errors.add(ConfigError.invalid(name, "must be between " + min + " and " + max + " seconds, not " + n));
                return dflt;
            }
            return Duration.ofSeconds(n);
        } catch (NumberFormatException e) {
            errors.add(ConfigError.invalid(name, "must be a whole number of seconds, not '" + v + "'"));
            return dflt;
        }
    }

    static URI httpUrl(String name, String text, List<ConfigError> errors) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!uri.isAbsolute() || uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
                errors.add(ConfigError.invalid(name, "'" + text + "' is not an absolute http(s) URL"));
                return null;
            }
            if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
                errors.add(ConfigError.invalid(name, "'" + text + "' must not contain user info or a fragment"));
                return null;
            }
            if (uri.getRawQuery() != null) {
                // A key source or issuer is a fixed resource; a query lets whoever sets the URL
                // choose what the endpoint (or discovery, which appends a path) does for Keycloak.
                errors.add(ConfigError.invalid(name, "'" + text + "' must not have a query"));
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            errors.add(ConfigError.invalid(name, "'" + text + "' is not a URL (" + e.getReason() + ")"));
            return null;
        }
    }

    public static String trimToNull(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
