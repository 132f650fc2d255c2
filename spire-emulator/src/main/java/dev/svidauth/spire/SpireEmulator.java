package dev.svidauth.spire;

import com.nimbusds.jose.jwk.JWK;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
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
 * <h2>X.509-SVIDs and the X.509 CA</h2>
 * The emulator also holds SPIRE's X.509 CA (key type {@link Builder#x509CaKeyType(KeyType)},
 * lifetime {@code ca_ttl}) and mints X.509-SVIDs with it ({@link #mintX509Svid(String)},
 * {@link #x509Svid(String)}): the certificate templates of SPIRE 1.15's
 * {@code pkg/server/credtemplate/builder.go}, described in {@code X509Authority}. Without an
 * upstream authority (SPIRE's default) the CA is self-signed, is itself the bundle's X.509
 * authority, and an SVID's chain is the leaf alone; with {@link Builder#x509UpstreamAuthority(boolean)}
 * the CA is an intermediate under an upstream root, the bundle holds the root and the chain is
 * leaf then intermediate. The CA rotates on SPIRE's schedule by the emulator's clock (see
 * {@code X509CaManager}): the next CA is prepared and published when half the current CA's life
 * is over, signs from when a sixth remains, and the old CA stays in the bundle until a day after
 * it expired; {@link #rotateX509Authority()} does the prepare and activate steps at once. The
 * bundle endpoint serves every published X.509 authority when {@link Builder#x509Authority(boolean)}
 * is on; {@link #writeX509BundlePem(Path)} and {@link #keepX509BundlePemUpdated(Path)} write them
 * as PEM, as spiffe-helper does. {@link #x509Forge()} makes deliberately defective certificates
 * for attack tests.
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
 * {@code Endpoints} is the HTTP listener with its request counters and fault switches;
 * {@code X509CaManager} holds and rotates the X.509 CAs, {@code X509Authority} and {@code GoX509}
 * build certificates as SPIRE's Go code does, {@code BundlePemFiles} writes the bundle files. This class
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
    /** SPIRE's default X.509-SVID lifetime ({@code default_x509_svid_ttl}, {@code credtemplate.DefaultX509SVIDTTL}). */
    public static final Duration DEFAULT_X509_SVID_TTL = Duration.ofHours(1);
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
    private final X509CaManager x509;
    private final X509SvidBuilder.Context x509Minting;
    private final BundlePemFiles bundleFiles;
    private final Clock clock;

    private SpireEmulator(Builder b) throws IOException {
        this.trustDomain = b.trustDomain;
        this.keyType = b.keyType;
        this.clock = b.clock;
        this.keys = new KeyRing(b.keyType, b.setKeyUse, b.caTtl, b.clock);
        this.x509 = new X509CaManager(trustDomain, b.x509CaKeyType, b.caTtl, b.clock, b.x509Upstream,
                b.x509AutoRotation, b.x509Authority ? keys::bundleChanged : () -> { });
        this.x509Minting = new X509SvidBuilder.Context(trustDomain, b.clock, b.defaultX509SvidTtl, b.x509UniqueId, x509);
        this.bundleFiles = new BundlePemFiles(x509, b.x509AutoRotation);
        this.endpoints = new Endpoints(b.port);
        this.issuer = SELF.equals(b.issuer) ? endpoints.baseUrl().toString() : b.issuer;
        this.minter = new Minter(trustDomain, issuer, b.defaultTtl, b.clock, keys);
        endpoints.serve(new Documents(issuer, keys, b.setKeyUse, b.refreshHint, b.x509Authority ? x509 : null));
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
     * {@code pkg/server/ca/rotator/rotator.go}): unpublishes every JWT key and X.509 authority
     * that expired at least {@link #BUNDLE_SAFETY_THRESHOLD} ago by the emulator's clock. The
     * signing key and the authorities of the current and next X.509 CA are kept even then, so that
     * minted SVIDs stay verifiable.
     *
     * @return whether a key or an authority was unpublished
     */
    public boolean pruneBundle() {
        boolean jwt = keys.pruneBundle();
        return x509.prune(clock.instant().minus(BUNDLE_SAFETY_THRESHOLD)) | jwt;
    }

    /** {@link #prepareRotation()} then {@link #activateNextKey()}: a new key signs at once, the old stays published. */
    public void rotate() {
        prepareRotation();
        activateNextKey();
    }

    // ------------------------------------------------------------------ X.509-SVIDs

    /** Mints an X.509-SVID for {@code spiffeId} with the default lifetime (1 h) and a fresh EC P-256 key. */
    public X509Svid mintX509Svid(String spiffeId) {
        return x509Svid(spiffeId).mint();
    }

    /** Mints an X.509-SVID with lifetime {@code ttl} (capped at the CA's notAfter) and a fresh EC P-256 key. */
    public X509Svid mintX509Svid(String spiffeId, Duration ttl) {
        return x509Svid(spiffeId).ttl(ttl).mint();
    }

    /** Mints an X.509-SVID with lifetime {@code ttl} and a fresh key of {@code keyType}. */
    public X509Svid mintX509Svid(String spiffeId, Duration ttl, KeyType keyType) {
        return x509Svid(spiffeId).ttl(ttl).keyType(keyType).mint();
    }

    /** Starts an X.509-SVID for {@code spiffeId}; finish with {@link X509SvidBuilder#mint()}. */
    public X509SvidBuilder x509Svid(String spiffeId) {
        return new X509SvidBuilder(x509Minting, spiffeId);
    }

    /** A forge for defective certificates that signs with this emulator's current X.509 CA and follows its clock. */
    public X509Forge x509Forge() {
        return new X509Forge(trustDomain, () -> x509.current().issuer, clock,
                x509Minting.defaultTtl());
    }

    /** The X.509 CA that signs now, with its key: the issuer of minted X.509-SVIDs. */
    public X509Issuer x509Authority() {
        return x509.current().issuer;
    }

    /** The prepared next X.509 CA, if a rotation is pending. */
    public Optional<X509Issuer> nextX509Authority() {
        return x509.next().map(ca -> ca.issuer);
    }

    /**
     * The trust domain's X.509 authorities as published now, in publication order: the current
     * CA, a prepared next one, and older ones until pruned (with an upstream authority: its root).
     */
    public List<java.security.cert.X509Certificate> x509Authorities() {
        return x509.authorities();
    }

    /** Prepares the next X.509 CA and publishes it; the current one keeps signing. */
    public void prepareX509Rotation() {
        x509.prepare();
    }

    /**
     * Activates the prepared X.509 CA: it signs from now on, the old one stays published.
     *
     * @throws IllegalStateException if none was prepared
     */
    public void activateNextX509Authority() {
        x509.activate();
    }

    /** {@link #prepareX509Rotation()} then {@link #activateNextX509Authority()}: a new CA signs at once, the old one stays published. */
    public void rotateX509Authority() {
        x509.prepare();
        x509.activate();
    }

    /** {@link #x509Authorities()} as consecutive PEM {@code CERTIFICATE} blocks: the trust domain's X.509 bundle. */
    public String x509BundlePem() {
        return bundleFiles.pem();
    }

    /** Writes {@link #x509BundlePem()} to {@code file} (atomically, by rename), once. */
    public void writeX509BundlePem(Path file) {
        bundleFiles.write(file);
    }

    /**
     * Writes {@link #x509BundlePem()} to {@code file} now and again whenever the published
     * authorities change, until {@link #close()}, as spiffe-helper keeps {@code svid_bundle_file_name}
     * current. With automatic rotation a background thread applies the schedule once a second, so
     * the file follows the emulator's clock by itself. The file Keycloak's
     * {@code --https-trust-store-file} can read (it must end in {@code .pem}).
     */
    public void keepX509BundlePemUpdated(Path file) {
        bundleFiles.keep(file);
    }

    /** Password of the PKCS #12 trust stores {@link #keepX509BundleUpdated(Path)} writes. */
    public static final String TRUST_STORE_PASSWORD = "spiffe-bundle";

    /**
     * As {@link #keepX509BundlePemUpdated(Path)}, in the format the file name asks for: PEM, or a
     * PKCS #12 trust store ({@value #TRUST_STORE_PASSWORD}) for a name ending in {@code .p12} —
     * what Keycloak 26.4 and 26.5 can reload (their TLS layer fails to reload a PEM trust store).
     */
    public void keepX509BundleUpdated(Path file) {
        bundleFiles.keep(file);
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
        bundleFiles.close();
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
        private KeyType x509CaKeyType = KeyType.EC_P256;
        private Duration defaultX509SvidTtl = DEFAULT_X509_SVID_TTL;
        private boolean x509Upstream;
        private boolean x509UniqueId;
        private boolean x509AutoRotation = true;
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
         * Whether the bundle endpoint also serves the trust domain's X.509 authorities as
         * {@code x509-svid} entries (with {@code x5c}, listed first), as a real SPIRE bundle always
         * does: every published one, so the next CA from its preparation and the old one until
         * pruned. Default off. The X.509 CA exists and signs either way.
         */
        public Builder x509Authority(boolean include) {
            this.x509Authority = include;
            return this;
        }

        /**
         * SPIRE Server's {@code ca_ttl}, default 24 h: the lifetime of each JWT key and X.509 CA,
         * counted from its generation. Caps {@code exp} of minted JWT-SVIDs and notAfter of
         * X.509-SVIDs, and sets the X.509 CA's rotation schedule.
         */
        public Builder caTtl(Duration caTtl) {
            if (caTtl == null || caTtl.isNegative() || caTtl.isZero()) {
                throw new IllegalArgumentException("CA TTL must be positive");
            }
            this.caTtl = caTtl;
            return this;
        }

        /** SPIRE Server's {@code ca_key_type} for the X.509 CA, default {@link KeyType#EC_P256}. */
        public Builder x509CaKeyType(KeyType type) {
            this.x509CaKeyType = Objects.requireNonNull(type, "type");
            return this;
        }

        /** SPIRE Server's {@code default_x509_svid_ttl}, default 1 hour. */
        public Builder defaultX509SvidTtl(Duration ttl) {
            if (ttl == null || ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("default X.509-SVID TTL must be positive");
            }
            this.defaultX509SvidTtl = ttl;
            return this;
        }

        /**
         * An {@code UpstreamAuthority} (as SPIRE's {@code disk} plugin): the X.509 CA becomes an
         * intermediate under an emulated upstream root, which is the bundle's X.509 authority; an
         * X.509-SVID's chain is leaf and intermediate. Default off (self-signed CA, chain = leaf).
         */
        public Builder x509UpstreamAuthority(boolean upstream) {
            this.x509Upstream = upstream;
            return this;
        }

        /**
         * SPIRE's optional {@code uniqueid} credential composer: X.509-SVID subjects get an
         * {@code x500UniqueIdentifier} (hex of the SPIFFE ID's truncated SHA-256). Default off, as
         * in SPIRE since 1.9.
         */
        public Builder x509UniqueId(boolean uniqueId) {
            this.x509UniqueId = uniqueId;
            return this;
        }

        /**
         * Whether the X.509 CA rotates by itself on SPIRE's schedule at the emulator's clock (the
         * default), or only on {@link SpireEmulator#prepareX509Rotation()},
         * {@link SpireEmulator#activateNextX509Authority()} and {@link SpireEmulator#pruneBundle()}.
         */
        public Builder x509AutoRotation(boolean automatic) {
            this.x509AutoRotation = automatic;
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

        /**
         * Clock for {@code iat}/{@code exp}, the key set's {@code Last-Modified}, certificate
         * validity and the X.509 CA's rotation; default system UTC.
         */
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
