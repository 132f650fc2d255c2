package dev.svidauth.spire;

import com.nimbusds.jose.jwk.JWK;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * An in-process stand-in for SPIRE 1.15 as a JWT-SVID issuer: it mints JWT-SVIDs the way SPIRE
 * Server does, serves the keys the way the SPIRE OIDC Discovery Provider and the SPIFFE bundle
 * endpoint do, rotates its signing key the way SPIRE's CA manager does, and can be told to
 * misbehave for reliability tests.
 *
 * <p>One HTTP listener on {@code 127.0.0.1} (a free port unless {@link Builder#port(int)} says
 * otherwise) serves:
 * <ul>
 *   <li>{@value #DISCOVERY_PATH}: the OIDC Discovery Provider document,</li>
 *   <li>{@value #KEYS_PATH}: the OIDC Discovery Provider key set,</li>
 *   <li>{@value #BUNDLE_PATH}: the trust domain bundle in SPIFFE bundle endpoint form (SPIRE
 *       serves it at {@code /} of its own TLS listener; here it shares the plain-HTTP one).</li>
 * </ul>
 * Documents are byte-for-byte what SPIRE's Go code writes: the same member order, indentation and
 * string escaping, and the same response headers (including SPIRE's
 * {@code Cache-Control: no-cache, no-store, must-revalidate} on {@code /keys}).
 *
 * <h2>JWT-SVIDs</h2>
 * Header exactly {@code {"alg":"ES256","kid":"<32 chars [a-zA-Z0-9]>","typ":"JWT"}} (the
 * algorithm follows the {@link KeyType}); claims {@code aud} (always an array), {@code exp},
 * {@code iat}, {@code iss}, {@code sub}, serialized with sorted keys as Go does for SPIRE's claim
 * map. As in SPIRE 1.15 ({@code BuildWorkloadJWTSVIDClaims} in
 * {@code pkg/server/credtemplate/builder.go}):
 * <ul>
 *   <li>{@code iss} is present only when a JWT issuer is configured (server.conf
 *       {@code jwt_issuer}, unset by default; {@link Builder#issuer(String)});</li>
 *   <li>{@code jti} is present only when asked for ({@link SvidBuilder#withJti()}, SPIRE 1.15.2+
 *       with the entry flag {@code -jwtSVIDIncludeJTI}): 22 characters, the base64url (no
 *       padding) of a random version-4 UUID's 16 bytes;</li>
 *   <li>{@code exp} is {@code now + ttl} capped at the signing key's expiry
 *       ({@code computeCappedLifetime}, with {@code ExpirationCap: jwtKey.NotAfter} from
 *       {@code pkg/server/ca/ca.go}).</li>
 * </ul>
 * Any other claim is added only on request, as a SPIRE credential composer plugin would add it.
 *
 * <h2>Key rotation</h2>
 * SPIRE keeps two JWT key slots. With the default {@code ca_ttl} of 24 h a JWT key lives 24 h;
 * halfway through (12 h after it was created, when half its life remains) the next key is
 * <em>prepared</em>: generated and appended to the bundle, so it is published in {@code /keys}
 * and the bundle while the current key still signs; when a sixth of the current key's life
 * remains (20 h after creation) the next key is <em>activated</em> and signs from then on, the
 * old key staying published; the datastore prunes a key from the bundle a day
 * ({@code safetyThresholdBundle}, 24 h, {@code pkg/server/ca/manager/manager.go}) after the key
 * expired ({@code bundleutil.PruneBundle}, {@code pkg/common/bundleutil/bundle.go}). A key expires
 * {@code ca_ttl} after it was prepared ({@code notAfter := now.Add(m.caTTL)} in the manager's JWT
 * key preparation). Verifiers therefore always see a new key well before the first SVID signed
 * with it. The emulator performs the same transitions on demand: {@link #prepareRotation()},
 * {@link #activateNextKey()} and {@link #pruneBundle()} (by the keys' expiry and the emulator's
 * clock), or {@link #dropRetiredKeys()} (every retired key at once); {@link #rotate()} prepares
 * and activates at once. The bundle's {@code spiffe_sequence} grows whenever the set of published
 * keys changes (prepare and drop, not activate, which leaves the bundle untouched).
 *
 * <h2>Faults</h2>
 * {@link #responseDelay(Duration, Endpoint...)}, {@link #failWith(int, Endpoint...)},
 * {@link #serveRaw(String, String, Endpoint...)} and {@link #redirectTo(String, Endpoint...)} act
 * on the given endpoints, or on all three when none is named; {@link #reset()} undoes them.
 * {@link #stop()} and {@link #restart()} take the listener away and bring it back on the same
 * port. Requests are handled on a cached thread pool, so a delayed response never holds up
 * another request.
 *
 * <p>The work is split along SPIRE's own seams: {@code KeyRing} holds the keys and rotates them,
 * {@code Minter} builds and signs JWT-SVIDs, {@code Documents} renders what the endpoints serve and
 * {@code Endpoints} is the HTTP listener with its request counters and fault switches. This class
 * configures them ({@link Builder}) and is the one public face.
 *
 * <p>Instances are thread-safe.
 */
public final class SpireEmulator implements AutoCloseable {

    /**
     * Pass to {@link Builder#issuer(String)} to make the emulator's own base URL
     * ({@code http://127.0.0.1:<port>}, no trailing slash) the JWT issuer, so that
     * {@code <iss>/.well-known/openid-configuration} resolves to this emulator. Not the default:
     * like SPIRE, the emulator has no JWT issuer unless one is configured.
     */
    public static final String SELF = "urn:dev.svidauth.spire:self";

    /** Path of the OIDC Discovery Provider document. */
    public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";
    /** Path of the OIDC Discovery Provider key set. */
    public static final String KEYS_PATH = "/keys";
    /** Path of the SPIFFE bundle endpoint document. */
    public static final String BUNDLE_PATH = "/bundle";

    /** SPIRE's default CA and JWT key lifetime ({@code ca_ttl}). */
    public static final Duration DEFAULT_CA_TTL = Duration.ofHours(24);
    /**
     * How long SPIRE keeps an expired key in the bundle ({@code safetyThresholdBundle} in
     * {@code pkg/server/ca/manager/manager.go}).
     */
    public static final Duration BUNDLE_SAFETY_THRESHOLD = Duration.ofHours(24);
    /** SPIRE's default JWT-SVID lifetime ({@code default_jwt_svid_ttl}). */
    public static final Duration DEFAULT_JWT_SVID_TTL = Duration.ofMinutes(5);
    /** Default {@code spiffe_refresh_hint} of the bundle document. */
    public static final Duration DEFAULT_REFRESH_HINT = Duration.ofSeconds(300);

    /** The HTTP endpoints the emulator serves; fault switches can target each one. */
    public enum Endpoint {
        /** {@value SpireEmulator#DISCOVERY_PATH} */
        DISCOVERY,
        /** {@value SpireEmulator#KEYS_PATH} */
        KEYS,
        /** {@value SpireEmulator#BUNDLE_PATH} */
        BUNDLE
    }

    private static final Logger LOG = Logger.getLogger(SpireEmulator.class.getName());

    private final String trustDomain;
    private final String issuer;
    private final KeyType keyType;
    private final KeyRing keys;
    private final Endpoints endpoints;
    private final Minter minter;

    private SpireEmulator(Builder b) throws IOException {
        this.trustDomain = b.trustDomain;
        this.keyType = b.keyType;
        X509Authority x509Authority = b.x509Authority ? X509Authority.create(trustDomain, b.clock.instant(), b.caTtl) : null;
        this.keys = new KeyRing(b.keyType, b.setKeyUse, b.caTtl, b.clock);
        this.endpoints = new Endpoints(b.port);
        this.issuer = SELF.equals(b.issuer) ? endpoints.baseUrl().toString() : b.issuer;
        this.minter = new Minter(trustDomain, issuer, b.defaultTtl, b.clock, keys);
        endpoints.serve(new Documents(issuer, keys, b.setKeyUse, b.refreshHint, x509Authority));
        LOG.fine(() -> "SPIRE emulator for " + trustDomain + " listening on " + endpoints.baseUrl());
    }

    /** Starts configuring an emulator; finish with {@link Builder#start()}. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ coordinates

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public URI baseUrl() {
        return endpoints.baseUrl();
    }

    /** The TCP port, stable across {@link #stop()} and {@link #restart()}. */
    public int port() {
        return endpoints.port();
    }

    /** {@code <base>/.well-known/openid-configuration}. */
    public URI discoveryUrl() {
        return URI.create(baseUrl() + DISCOVERY_PATH);
    }

    /** {@code <base>/keys}, the OIDC Discovery Provider key set. */
    public URI jwksUrl() {
        return URI.create(baseUrl() + KEYS_PATH);
    }

    /** {@code <base>/bundle}, the SPIFFE bundle endpoint document. */
    public URI bundleUrl() {
        return URI.create(baseUrl() + BUNDLE_PATH);
    }

    /** The configured JWT issuer (the {@code iss} of minted SVIDs), or {@code null} when none is set. */
    public String issuer() {
        return issuer;
    }

    /** The trust domain name, e.g. {@code example.org}. */
    public String trustDomain() {
        return trustDomain;
    }

    /** The signing key type. */
    public KeyType keyType() {
        return keyType;
    }

    // ------------------------------------------------------------------ minting

    /** Mints a JWT-SVID with the default lifetime and no extra claims. */
    public String mint(String spiffeId, List<String> audience) {
        return svid(spiffeId).audience(audience).mint();
    }

    /** Starts a JWT-SVID for {@code spiffeId}; finish with {@link SvidBuilder#mint()}. */
    public SvidBuilder svid(String spiffeId) {
        return new SvidBuilder(spiffeId);
    }

    // ------------------------------------------------------------------ keys

    /**
     * The key that signs right now, with its private part, {@code kid} and {@code alg}: for tests
     * that craft tokens SPIRE would never mint.
     */
    public JWK signingKey() {
        return keys.signingKey();
    }

    /** When the signing key expires: {@code ca_ttl} after it was generated; {@code exp} of minted SVIDs never exceeds it. */
    public Instant signingKeyNotAfter() {
        return keys.signingKeyNotAfter();
    }

    /** The prepared next key (public part, as published), if a rotation is pending. */
    public Optional<JWK> nextKey() {
        return keys.nextKey();
    }

    /** The public keys as {@code /keys} serves them right now, in publication order. */
    public List<JWK> publishedKeys() {
        return keys.publishedKeys();
    }

    /** The bundle's current {@code spiffe_sequence}. */
    public long bundleSequence() {
        return keys.sequence();
    }

    /**
     * Prepares the next key: generates it and publishes it next to the current one, which keeps
     * signing (SPIRE does this halfway through the current key's life). A previously prepared key
     * that was never activated stays published as retired, as in SPIRE's bundle.
     */
    public void prepareRotation() {
        keys.prepareRotation();
    }

    /**
     * Activates the prepared key: it signs from now on and the previous key stays published
     * (SPIRE does this when a sixth of the current key's life remains).
     *
     * @throws IllegalStateException if no key was prepared
     */
    public void activateNextKey() {
        keys.activateNextKey();
    }

    /**
     * Unpublishes every key that no longer signs and is not the prepared next key, like SPIRE's
     * bundle pruning a day after a key expired.
     */
    public void dropRetiredKeys() {
        keys.dropRetiredKeys();
    }

    /**
     * SPIRE's bundle pruning ({@code Manager.PruneBundle}, run every 6 h by
     * {@code pkg/server/ca/rotator/rotator.go}): unpublishes every key that expired at least
     * {@link #BUNDLE_SAFETY_THRESHOLD} ago by the emulator's clock. The signing key is kept even
     * then, so that minted SVIDs stay verifiable.
     *
     * @return whether a key was unpublished
     */
    public boolean pruneBundle() {
        return keys.pruneBundle();
    }

    /** {@link #prepareRotation()} then {@link #activateNextKey()}: a new key signs at once, the old stays published. */
    public void rotate() {
        prepareRotation();
        activateNextKey();
    }

    // ------------------------------------------------------------------ faults

    /** Delays every response of the given endpoints (all when none given) by {@code delay}. */
    public SpireEmulator responseDelay(Duration delay, Endpoint... only) {
        endpoints.responseDelay(delay, only);
        return this;
    }

    /** Answers the given endpoints (all when none given) with {@code status} and a short text body. */
    public SpireEmulator failWith(int status, Endpoint... only) {
        endpoints.failWith(status, only);
        return this;
    }

    /** Answers the given endpoints (all when none given) with 200, {@code body} and {@code contentType}. */
    public SpireEmulator serveRaw(String body, String contentType, Endpoint... only) {
        endpoints.serveRaw(body, contentType, only);
        return this;
    }

    /** Answers the given endpoints (all when none given) with {@code 302 Found} to {@code location}. */
    public SpireEmulator redirectTo(String location, Endpoint... only) {
        endpoints.redirectTo(location, only);
        return this;
    }

    /** Clears every delay and fault; counters, keys and the listener are left as they are. */
    public SpireEmulator reset() {
        endpoints.reset();
        return this;
    }

    // ------------------------------------------------------------------ counters

    /** Requests received on {@value #KEYS_PATH} since start or {@link #resetCounters()}. */
    public long keysRequests() {
        return requests(Endpoint.KEYS);
    }

    /** Requests received on {@value #BUNDLE_PATH} since start or {@link #resetCounters()}. */
    public long bundleRequests() {
        return requests(Endpoint.BUNDLE);
    }

    /** Requests received on {@value #DISCOVERY_PATH} since start or {@link #resetCounters()}. */
    public long discoveryRequests() {
        return requests(Endpoint.DISCOVERY);
    }

    /** Requests received on {@code endpoint}, whatever the answer was. */
    public long requests(Endpoint endpoint) {
        return endpoints.requests(endpoint);
    }

    /** Sets every request counter back to zero. */
    public void resetCounters() {
        endpoints.resetCounters();
    }

    // ------------------------------------------------------------------ lifecycle

    /** Closes the listener: connections are refused until {@link #restart()}. Idempotent. */
    public void stop() {
        endpoints.stop();
    }

    /** Stops the listener if it runs and opens it again on the same port. */
    public void restart() {
        endpoints.restart();
    }

    /** Whether the listener is open. */
    public boolean isRunning() {
        return endpoints.isRunning();
    }

    /** Stops the listener for good and releases its threads. */
    @Override
    public void close() {
        endpoints.close();
    }

    @Override
    public String toString() {
        return "SpireEmulator[" + trustDomain + " at " + baseUrl() + "]";
    }

    // ------------------------------------------------------------------ nested types

    /** Configuration of a {@link SpireEmulator}; every setting has SPIRE's default. */
    public static final class Builder {
        private String trustDomain = "example.org";
        private String issuer;
        private KeyType keyType = KeyType.EC_P256;
        private boolean setKeyUse;
        private Duration defaultTtl = DEFAULT_JWT_SVID_TTL;
        private Duration refreshHint = DEFAULT_REFRESH_HINT;
        private Duration caTtl = DEFAULT_CA_TTL;
        private boolean x509Authority;
        private int port;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Trust domain name, default {@code example.org}. */
        public Builder trustDomain(String trustDomain) {
            Objects.requireNonNull(trustDomain, "trustDomain");
            if (!Minter.TRUST_DOMAIN.matcher(trustDomain).matches()) {
                throw new IllegalArgumentException("invalid trust domain: " + trustDomain);
            }
            this.trustDomain = trustDomain;
            return this;
        }

        /**
         * SPIRE Server's {@code jwt_issuer}: {@code null} (the default, as in SPIRE) for none, in
         * which case SVIDs carry no {@code iss} and the discovery document's {@code issuer} is
         * derived from the request's host as SPIRE's OIDC Discovery Provider does; {@link #SELF}
         * for the emulator's own base URL; any other string is used verbatim in both.
         */
        public Builder issuer(String issuer) {
            this.issuer = issuer;
            return this;
        }

        /** SPIRE Server's {@code jwt_key_type}, default {@link KeyType#EC_P256}. */
        public Builder keyType(KeyType keyType) {
            this.keyType = Objects.requireNonNull(keyType, "keyType");
            return this;
        }

        /** The OIDC Discovery Provider's {@code set_key_use}: add {@code "use":"sig"} to {@code /keys}. Default off. */
        public Builder setKeyUse(boolean setKeyUse) {
            this.setKeyUse = setKeyUse;
            return this;
        }

        /** SPIRE Server's {@code default_jwt_svid_ttl}, default 5 minutes. */
        public Builder defaultTtl(Duration ttl) {
            if (ttl == null || ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("default TTL must be positive");
            }
            this.defaultTtl = ttl;
            return this;
        }

        /** The bundle's {@code spiffe_refresh_hint} (whole seconds), default 300 s; zero omits it. */
        public Builder refreshHint(Duration hint) {
            if (hint == null || hint.isNegative()) {
                throw new IllegalArgumentException("refresh hint must not be negative");
            }
            this.refreshHint = hint;
            return this;
        }

        /**
         * Whether the bundle also carries the trust domain's X.509 CA as an {@code x509-svid}
         * entry (with {@code x5c}, listed first), as a real SPIRE bundle always does. Default off.
         */
        public Builder x509Authority(boolean include) {
            this.x509Authority = include;
            return this;
        }

        /**
         * SPIRE Server's {@code ca_ttl}, default 24 h: the lifetime of each JWT key (and of the
         * X.509 authority), counted from its generation. Caps {@code exp} of minted SVIDs.
         */
        public Builder caTtl(Duration caTtl) {
            if (caTtl == null || caTtl.isNegative() || caTtl.isZero()) {
                throw new IllegalArgumentException("CA TTL must be positive");
            }
            this.caTtl = caTtl;
            return this;
        }

        /** Listen on this port instead of a free one (0, the default). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("invalid port: " + port);
            }
            this.port = port;
            return this;
        }

        /** Clock for {@code iat}/{@code exp} and the key set's {@code Last-Modified}; default system UTC. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Generates the first signing key and opens the listener. */
        public SpireEmulator start() {
            try {
                return new SpireEmulator(this);
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the SPIRE emulator", e);
            }
        }
    }

    /**
     * One JWT-SVID to mint, built like SPIRE's {@code BuildWorkloadJWTSVIDClaims}: empty audience
     * values are dropped and at least one must remain; the SPIFFE ID must be a workload of the
     * emulator's trust domain; a non-positive TTL means the default. {@link #claim(String, Object)}
     * plays the credential composer: it may add, replace (even {@code aud} or {@code iss}) or, with
     * {@code null}, remove claims.
     */
    public final class SvidBuilder {
        private final String spiffeId;
        private final List<String> audience = new ArrayList<>();
        private Duration ttl;
        private Instant issuedAt;
        private Instant expiresAt;
        private final Map<String, Object> extra = new LinkedHashMap<>();
        private String jti;
        private boolean checked = true;

        private SvidBuilder(String spiffeId) {
            this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
        }

        /** Sets the audience (replacing earlier values). */
        public SvidBuilder audience(String... audience) {
            return audience(Arrays.asList(audience));
        }

        /** Sets the audience (replacing earlier values). */
        public SvidBuilder audience(Collection<String> audience) {
            this.audience.clear();
            this.audience.addAll(audience);
            return this;
        }

        /**
         * Lifetime; {@code exp = iat + ttl}, capped at the signing key's expiry as SPIRE caps it
         * (unless {@link #issuedAt(Instant)} or {@link #expiresAt(Instant)} override the times).
         * Default: the emulator's default TTL.
         */
        public SvidBuilder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        /** {@code iat}; default now. Any instant, also past or future, for time-check tests. */
        public SvidBuilder issuedAt(Instant issuedAt) {
            this.issuedAt = issuedAt;
            return this;
        }

        /** {@code exp} outright, overriding the TTL and the cap at the key's expiry (SPIRE would never mint it beyond). */
        public SvidBuilder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        /** Adds or replaces a claim as a credential composer would; {@code null} removes it. */
        public SvidBuilder claim(String name, Object value) {
            extra.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /**
         * Adds a random {@code jti} as SPIRE 1.15.2+ does for entries with
         * {@code -jwtSVIDIncludeJTI}: {@code base64.RawURLEncoding} of a version-4 UUID's 16 bytes,
         * 22 characters ({@code pkg/server/credtemplate/builder.go}).
         */
        public SvidBuilder withJti() {
            this.jti = Minter.newJti();
            return this;
        }

        /** Adds this {@code jti}. */
        public SvidBuilder jti(String jti) {
            this.jti = Objects.requireNonNull(jti, "jti");
            return this;
        }

        /**
         * Skips SPIRE's checks on the SPIFFE ID and audience, for tokens SPIRE would refuse to mint
         * (foreign trust domain, malformed ID, empty audience) but signed with the real key.
         */
        public SvidBuilder unchecked() {
            this.checked = false;
            return this;
        }

        /** Signs with the current key and returns the compact JWS. */
        public String mint() {
            return minter.mint(new Minter.Request(spiffeId, new ArrayList<>(audience), ttl, issuedAt, expiresAt,
                    java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra)), jti, checked));
        }
    }
}
