package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keys.KeySourceAddressGuard;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import java.time.Duration;
import java.util.List;

/**
 * The provider options of {@code client-svid-jwt}
 * ({@code --spi-client-authenticator--client-svid-jwt--<name>=<value>}), read once at start-up and
 * declared by {@link #metadata()} so that Keycloak lists them with the other SPI options.
 *
 * @param connectTimeout     key-source connect timeout
 * @param readTimeout        key-source read timeout
 * @param maxBytes           largest key-source document read
 * @param indexTtl           how long a realm's SPIFFE ID index is used before a refresh
 * @param allowLinkLocal     whether key sources on link-local and cloud-metadata addresses are allowed
 *                           ({@link KeySourceAddressGuard})
 * @param signatureCacheSize SVIDs whose verified signature is remembered; 0 verifies every presentation
 * @param ecdsaProvider      which JCA provider checks ECDSA signatures: {@code auto} (the faster, measured
 *                           once), {@code keycloak} or {@code jdk} ({@link EcdsaProviderDetection})
 * @param fetchTimeout       the total deadline of one key-source fetch (connect, status line, headers and
 *                           body), after which the connection is closed; also the longest a request waits
 *                           for a fetch
 * @param allowedHosts       when not empty, the only hosts key sources may use (exact names, IP literals, or
 *                           {@code *.domain} for any name below a domain; {@link KeySourceAddressGuard})
 * @param detailedErrors     whether a refused caller's {@code error_description} carries the full detail
 *                           (sanitized) instead of the failed check and its reason code: for development
 *                           only, since the detail names key-source URLs, addresses, exception text and
 *                           other clients' IDs
 */
public record SvidAuthOptions(Duration connectTimeout, Duration readTimeout, long maxBytes, Duration indexTtl,
                              boolean allowLinkLocal, int signatureCacheSize, String ecdsaProvider, Duration fetchTimeout,
                              List<String> allowedHosts, boolean detailedErrors) {

    /** The options without the fetch deadline, allowlist and detailed errors, which take their defaults. */
    public SvidAuthOptions(Duration connectTimeout, Duration readTimeout, long maxBytes, Duration indexTtl,
                           boolean allowLinkLocal, int signatureCacheSize, String ecdsaProvider) {
        this(connectTimeout, readTimeout, maxBytes, indexTtl, allowLinkLocal, signatureCacheSize, ecdsaProvider,
                DEFAULT_FETCH_TIMEOUT, List.of(), false);
    }

    public SvidAuthOptions {
        allowedHosts = List.copyOf(allowedHosts);
    }

    public static final String CONNECT_TIMEOUT = "key-source-connect-timeout";
    public static final String READ_TIMEOUT = "key-source-read-timeout";
    public static final String MAX_BYTES = "key-source-max-bytes";
    public static final String INDEX_TTL = "index-ttl";
    public static final String ALLOW_LINK_LOCAL = KeySourceAddressGuard.ALLOW_OPTION;
    public static final String SIGNATURE_CACHE_SIZE = "signature-cache-size";
    public static final String ECDSA_PROVIDER = "ecdsa-provider";
    public static final String FETCH_TIMEOUT = "key-source-fetch-timeout";
    public static final String ALLOWED_HOSTS = KeySourceAddressGuard.ALLOWED_HOSTS_OPTION;

    /**
     * Default of {@link #FETCH_TIMEOUT}: below the connect and read timeouts together, so that a
     * source which keeps each read just under its timeout is still cut off, and well above what a
     * key source on the network answers in.
     */
    static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofMillis(5000);

    public static final String DETAILED_ERRORS = "detailed-errors";

    /** Upper bound of {@link #SIGNATURE_CACHE_SIZE}; larger values are clamped to it (negative ones to 0). */
    static final int MAX_SIGNATURE_CACHE_SIZE = 1_000_000;

    /** The documented defaults. */
    public static final SvidAuthOptions DEFAULTS = new SvidAuthOptions(Duration.ofMillis(2000), Duration.ofMillis(5000),
            512L * 1024, Duration.ofSeconds(60), false, 10_000, EcdsaProviderDetection.AUTO, DEFAULT_FETCH_TIMEOUT, List.of(), false);

    /** The options set for this provider; defaults for the others. */
    public static SvidAuthOptions read(Config.Scope config) {
        long cacheSize = config.getLong(SIGNATURE_CACHE_SIZE, (long) DEFAULTS.signatureCacheSize);
        return new SvidAuthOptions(
                Duration.ofMillis(config.getLong(CONNECT_TIMEOUT, DEFAULTS.connectTimeout.toMillis())),
                Duration.ofMillis(config.getLong(READ_TIMEOUT, DEFAULTS.readTimeout.toMillis())),
                config.getLong(MAX_BYTES, DEFAULTS.maxBytes),
                Duration.ofSeconds(config.getLong(INDEX_TTL, DEFAULTS.indexTtl.toSeconds())),
                config.getBoolean(ALLOW_LINK_LOCAL, DEFAULTS.allowLinkLocal),
                (int) Math.max(0, Math.min(MAX_SIGNATURE_CACHE_SIZE, cacheSize)),
                config.get(ECDSA_PROVIDER, DEFAULTS.ecdsaProvider),
                Duration.ofMillis(Math.max(1, config.getLong(FETCH_TIMEOUT, DEFAULTS.fetchTimeout.toMillis()))),
                KeySourceAddressGuard.hostPatterns(config.get(ALLOWED_HOSTS, "")),

                config.getBoolean(DETAILED_ERRORS, DEFAULTS.detailedErrors));
    }

    /**
     * The options as Keycloak's {@code getConfigMetadata()} declares them (names, types, defaults,
     * help): these and the switches of the replaced built-ins ({@link BuiltInReplacements}).
     */
    public static List<ProviderConfigProperty> metadata() {
        ProviderConfigurationBuilder options = ProviderConfigurationBuilder.create()
                .property().name(CONNECT_TIMEOUT).type("long").defaultValue(DEFAULTS.connectTimeout.toMillis())
                .helpText("Milliseconds to wait for a connection to a key source (JWKS, SPIFFE bundle or OIDC discovery).").add()
                .property().name(READ_TIMEOUT).type("long").defaultValue(DEFAULTS.readTimeout.toMillis())
                .helpText("Milliseconds to wait for a key source's answer.").add()
                .property().name(MAX_BYTES).type("long").defaultValue(DEFAULTS.maxBytes)
                .helpText("Largest key-source document read, in bytes.").add()
                .property().name(INDEX_TTL).type("long").defaultValue(DEFAULTS.indexTtl.toSeconds())
                .helpText("Seconds a realm's SPIFFE ID to client index is used before it is refreshed in the background.").add()
                .property().name(ALLOW_LINK_LOCAL).type("boolean").defaultValue(DEFAULTS.allowLinkLocal)
                .helpText("Allow key sources on link-local and cloud-metadata addresses (refused by default, at save and at fetch time).").add()
                .property().name(SIGNATURE_CACHE_SIZE).type("long").defaultValue((long) DEFAULTS.signatureCacheSize)
                .helpText("SVIDs whose verified signature is remembered, so that one presented again skips the public-key"
                        + " operation, and as many X.509-SVID chains whose path validated; 0 verifies every presentation.").add()
                .property().name(ECDSA_PROVIDER).type("string").defaultValue(DEFAULTS.ecdsaProvider)
                .options(EcdsaProviderDetection.CHOICES.toArray(new String[0]))
                .helpText("JCA provider that checks ECDSA signatures of JWT-SVIDs: auto (the faster of Keycloak's own and the"
                        + " JDK's, measured once at start-up), keycloak, or jdk.").add()
                .property().name(FETCH_TIMEOUT).type("long").defaultValue(DEFAULTS.fetchTimeout.toMillis())
                .helpText("Milliseconds one key-source fetch may take in all (connect, status line, headers and body);"
                        + " the connection is closed at that deadline, and requests waiting for the fetch give up"
                        + " with key_source_unavailable.").add()
                .property().name(ALLOWED_HOSTS).type("string").defaultValue("")
                .helpText("Comma-separated host names (or *.domain patterns, or IP addresses) that key sources may use;"
                        + " when set, every other host is refused when a client or trust domain is saved and before"
                        + " every fetch, including a JWKS URI found through OIDC discovery. Empty: no allowlist.").add()
                .property().name(DETAILED_ERRORS).type("boolean").defaultValue(DEFAULTS.detailedErrors)
                .helpText("For development only: tell refused callers the full detail of a rejection in error_description"
                        + " (key-source URLs, addresses, exception text, other clients' IDs), sanitized. Off: the failed check"
                        + " in words and its reason code; the detail is in the event (reason_detail), the log and the"
                        + " diagnose endpoint.").add();
        return BuiltInReplacements.declare(options).build();
    }

    /** The key-source rules of these options ({@link #allowLinkLocal}, {@link #allowedHosts}). */
    public KeySourcePolicy keySourcePolicy() {
        return KeySourcePolicy.of(allowLinkLocal, allowedHosts);
    }
}
