package dev.svidauth.spire;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * An in-process stand-in for SPIRE 1.15 for tests, the demo and the benchmark: it mints JWT-SVIDs
 * ({@link #svid(String)}) and X.509-SVIDs ({@link #x509Svid(String)}) as SPIRE Server does, serves
 * the OIDC Discovery Provider document, its key set and the SPIFFE bundle on one HTTP listener of
 * {@code 127.0.0.1}, byte for byte as SPIRE writes them, and rotates its keys and X.509 CA on
 * SPIRE's schedule. Fault switches make the endpoints misbehave on demand. Configure it with
 * {@link #builder()}; every setting has SPIRE's default.
 *
 * <p>What it emulates, which SPIRE source each behaviour follows and what it leaves out:
 * {@code spire-emulator/README.md}. Instances are thread-safe.
 */
public final class SpireEmulator implements AutoCloseable {

    /**
     * Pass to {@link SpireEmulatorBuilder#issuer(String)} to make {@link #baseUrl()} the JWT issuer,
     * so that {@code <iss>/.well-known/openid-configuration} resolves here (no issuer is the default).
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
    /** How long SPIRE keeps an expired key or CA in the bundle ({@code safetyThresholdBundle}). */
    public static final Duration BUNDLE_SAFETY_THRESHOLD = Duration.ofHours(24);
    /** SPIRE's default JWT-SVID lifetime ({@code default_jwt_svid_ttl}). */
    public static final Duration DEFAULT_JWT_SVID_TTL = Duration.ofMinutes(5);
    /** SPIRE's default X.509-SVID lifetime ({@code default_x509_svid_ttl}, {@code credtemplate.DefaultX509SVIDTTL}). */
    public static final Duration DEFAULT_X509_SVID_TTL = Duration.ofHours(1);
    /** Default WIT-SVID lifetime: like an X.509-SVID's, since a WIT-SVID is no bearer token (WIT-SVID spec appendix C). */
    public static final Duration DEFAULT_WIT_SVID_TTL = Duration.ofHours(1);
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
    /** The WIT-SVID signing keys, a ring apart from the JWT keys; null when the emulator issues no WIT-SVIDs. */
    private final KeyRing witKeys;
    private final Duration defaultWitSvidTtl;
    private final Endpoints endpoints;
    private final Minter minter;
    private final X509CaManager x509;
    private final X509SvidBuilder.Context x509Minting;
    private final BundlePemFiles bundleFiles;
    private final Clock clock;

    SpireEmulator(SpireEmulatorBuilder b) throws IOException {
        this.trustDomain = b.trustDomain;
        this.keyType = b.keyType;
        this.clock = b.clock;
        this.keys = new KeyRing(b.keyType, b.setKeyUse, b.caTtl, b.clock);
        this.witKeys = b.witSvids ? new KeyRing(b.keyType, false, b.caTtl, b.clock) : null;
        this.defaultWitSvidTtl = b.defaultWitSvidTtl;
        this.x509 = new X509CaManager(trustDomain, b.x509CaKeyType, b.caTtl, b.clock, b.x509Upstream,
                b.x509AutoRotation, b.x509Authority ? keys::bundleChanged : () -> { });
        this.x509Minting = new X509SvidBuilder.Context(trustDomain, b.clock, b.defaultX509SvidTtl, b.x509UniqueId, x509);
        this.bundleFiles = new BundlePemFiles(x509, b.x509AutoRotation);
        this.endpoints = new Endpoints(b.port);
        this.issuer = SELF.equals(b.issuer) ? endpoints.baseUrl().toString() : b.issuer;
        this.minter = new Minter(trustDomain, issuer, b.defaultTtl, b.clock, keys);
        endpoints.serve(new Documents(issuer, keys, b.setKeyUse, b.refreshHint, b.x509Authority ? x509 : null, witKeys));
        LOG.fine(() -> "SPIRE emulator for " + trustDomain + " listening on " + endpoints.baseUrl());
    }

    /** Starts configuring an emulator; finish with {@link SpireEmulatorBuilder#start()}. */
    public static SpireEmulatorBuilder builder() {
        return new SpireEmulatorBuilder();
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

    /** Starts a JWT-SVID for {@code spiffeId}; finish with {@link JwtSvidBuilder#mint()}. */
    public JwtSvidBuilder svid(String spiffeId) {
        return new JwtSvidBuilder(minter, spiffeId);
    }

    // ------------------------------------------------------------------ keys

    /** The key that signs now, with its private part, {@code kid} and {@code alg}: for tokens SPIRE would never mint. */
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
     * Prepares the next key: generates and publishes it; the current one keeps signing. A prepared
     * key that was never activated stays published as retired, as in SPIRE's bundle.
     */
    public void prepareRotation() {
        keys.prepareRotation();
    }

    /**
     * Activates the prepared key: it signs from now on, the previous key stays published.
     *
     * @throws IllegalStateException if no key was prepared
     */
    public void activateNextKey() {
        keys.activateNextKey();
    }

    /** Unpublishes every key that no longer signs and is not the prepared next key, whatever its expiry. */
    public void dropRetiredKeys() {
        keys.dropRetiredKeys();
    }

    /**
     * SPIRE's bundle pruning ({@code Manager.PruneBundle}): unpublishes every JWT key and X.509
     * authority that expired at least {@link #BUNDLE_SAFETY_THRESHOLD} ago by the emulator's clock,
     * except the signing key and the current and next CA, so that minted SVIDs stay verifiable.
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

    // ------------------------------------------------------------------ WIT-SVIDs

    /** Mints a WIT-SVID with the default lifetime for a fresh EC P-256 workload key pair. */
    public WitSvid mintWitSvid(String spiffeId) {
        return mintWitSvid(spiffeId, defaultWitSvidTtl, Map.of());
    }

    /**
     * Mints a WIT-SVID as the SPIFFE profile describes it: header {@code alg}, {@code kid},
     * {@code typ: wit+jwt}; claims {@code sub}, {@code exp}, {@code iat}, {@code jti} and
     * {@code cnf.jwk} (with {@code alg}) of a fresh EC P-256 workload key pair handed back with it;
     * no {@code aud}. {@code claimOverrides} changes claims (a null value removes one), for tests.
     */
    public WitSvid mintWitSvid(String spiffeId, Duration ttl, Map<String, Object> claimOverrides) {
        KeyRing ring = requireWitKeys();
        Minter.checkSpiffeId(spiffeId, trustDomain, "WIT-SVID");
        KeyRing.ManagedKey key = ring.current();
        ECKey workload;
        try {
            workload = new ECKeyGenerator(Curve.P_256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> jwk = new java.util.TreeMap<>(workload.toPublicJWK().toJSONObject());
        jwk.put("alg", JWSAlgorithm.ES256.getName());
        Instant iat = clock.instant();
        Instant exp = iat.plus(ttl);
        if (exp.isAfter(key.notAfter)) {
            exp = key.notAfter;
        }
        Map<String, Object> claims = new java.util.TreeMap<>();
        claims.put("cnf", Map.of("jwk", jwk));
        claims.put("exp", exp.getEpochSecond());
        claims.put("iat", iat.getEpochSecond());
        claims.put("jti", Minter.newJti());
        claims.put("sub", spiffeId);
        claimOverrides.forEach((k, v) -> {
            if (v == null) {
                claims.remove(k);
            } else {
                claims.put(k, v);
            }
        });
        Map<String, Object> header = new java.util.LinkedHashMap<>();
        header.put("alg", keyType.algorithm().getName());
        header.put("kid", key.kid);
        header.put("typ", "wit+jwt");
        return new WitSvid(WitSvid.sign(header, claims, key.jwk, keyType.algorithm()), spiffeId, workload, JWSAlgorithm.ES256);
    }

    /** The WIT-SVID key that signs now, with its private part: for WIT-SVIDs SPIRE would never mint. */
    public JWK witSigningKey() {
        return requireWitKeys().signingKey();
    }

    /** The WIT-SVID keys as the bundle publishes them now ({@code use: wit-svid}). */
    public List<JWK> publishedWitKeys() {
        return requireWitKeys().publishedKeys();
    }

    /** Rotates the WIT-SVID keys as the JWT keys ({@link #rotate()}): a new key signs at once, the old stays published. */
    public void rotateWitKeys() {
        KeyRing ring = requireWitKeys();
        ring.prepareRotation();
        ring.activateNextKey();
        keys.bundleChanged();
    }

    /**
     * Unpublishes the retired WIT-SVID keys as {@link #dropRetiredKeys()} does the JWT keys: a
     * WIT-SVID signed by one of them no longer verifies against the bundle.
     */
    public void dropRetiredWitKeys() {
        requireWitKeys().dropRetiredKeys();
        keys.bundleChanged();
    }

    private KeyRing requireWitKeys() {
        if (witKeys == null) {
            throw new IllegalStateException("this emulator issues no WIT-SVIDs; build it with witSvids(true)");
        }
        return witKeys;
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
        return new X509Forge(trustDomain, () -> x509.current().issuer, clock, x509Minting.defaultTtl());
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
     * The X.509 authorities as published now, in publication order: the current CA, a prepared next
     * one, older ones until pruned; with an upstream authority, its root.
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
     * Writes {@link #x509BundlePem()} to {@code file} now and whenever the published authorities
     * change (with automatic rotation: as the emulator's clock moves), until {@link #close()}, as
     * spiffe-helper keeps {@code svid_bundle_file_name} current; a {@code .pem} file for Keycloak.
     */
    public void keepX509BundlePemUpdated(Path file) {
        bundleFiles.keep(file);
    }

    /** Password of the PKCS #12 trust stores {@link #keepX509BundleUpdated(Path)} writes. */
    public static final String TRUST_STORE_PASSWORD = "spiffe-bundle";

    /**
     * As {@link #keepX509BundlePemUpdated(Path)}, or for a {@code .p12} name a PKCS #12 trust store
     * ({@value #TRUST_STORE_PASSWORD}), which Keycloak 26.4 and 26.5 can reload (a PEM one they cannot).
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
}
