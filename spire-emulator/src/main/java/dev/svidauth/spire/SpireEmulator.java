package dev.svidauth.spire;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

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
    private static final String KID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
    private static final Pattern PATH_SEGMENT = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final String trustDomain;
    private final String issuer;
    private final KeyType keyType;
    private final boolean setKeyUse;
    private final Duration defaultTtl;
    private final Duration refreshHint;
    private final Duration caTtl;
    private final Clock clock;
    private final X509Authority x509Authority;

    private final Object lock = new Object();
    /** Published JWT keys in publication order. Guarded by {@link #lock}. */
    private final List<ManagedKey> keys = new ArrayList<>();
    private ManagedKey current;
    private ManagedKey next;
    private long sequence = 1;
    private Instant keysModified;
    private HttpServer server;
    private boolean closed;

    private final Map<Endpoint, EndpointState> endpoints = new EnumMap<>(Endpoint.class);
    private final ExecutorService executor;
    private final int port;
    private final URI baseUrl;

    private SpireEmulator(Builder b) throws IOException {
        this.trustDomain = b.trustDomain;
        this.keyType = b.keyType;
        this.setKeyUse = b.setKeyUse;
        this.defaultTtl = b.defaultTtl;
        this.refreshHint = b.refreshHint;
        this.caTtl = b.caTtl;
        this.clock = b.clock;
        for (Endpoint e : Endpoint.values()) {
            endpoints.put(e, new EndpointState());
        }
        this.x509Authority = b.x509Authority ? X509Authority.create(trustDomain, clock.instant(), caTtl) : null;
        ManagedKey first = newKey(ManagedKey.Status.ACTIVE);
        keys.add(first);
        current = first;
        keysModified = clock.instant();

        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "spire-emulator-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HttpServer s;
        try {
            s = bind(b.port);
        } catch (IOException e) {
            executor.shutdownNow();
            throw e;
        }
        this.server = s;
        this.port = s.getAddress().getPort();
        this.baseUrl = URI.create("http://127.0.0.1:" + port);
        this.issuer = SELF.equals(b.issuer) ? baseUrl.toString() : b.issuer;
        LOG.fine(() -> "SPIRE emulator for " + trustDomain + " listening on " + baseUrl);
    }

    /** Starts configuring an emulator; finish with {@link Builder#start()}. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ coordinates

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public URI baseUrl() {
        return baseUrl;
    }

    /** The TCP port, stable across {@link #stop()} and {@link #restart()}. */
    public int port() {
        return port;
    }

    /** {@code <base>/.well-known/openid-configuration}. */
    public URI discoveryUrl() {
        return URI.create(baseUrl + DISCOVERY_PATH);
    }

    /** {@code <base>/keys}, the OIDC Discovery Provider key set. */
    public URI jwksUrl() {
        return URI.create(baseUrl + KEYS_PATH);
    }

    /** {@code <base>/bundle}, the SPIFFE bundle endpoint document. */
    public URI bundleUrl() {
        return URI.create(baseUrl + BUNDLE_PATH);
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
        synchronized (lock) {
            return current.jwk;
        }
    }

    /** When the signing key expires: {@code ca_ttl} after it was generated; {@code exp} of minted SVIDs never exceeds it. */
    public Instant signingKeyNotAfter() {
        synchronized (lock) {
            return current.notAfter;
        }
    }

    /** The prepared next key (public part, as published), if a rotation is pending. */
    public Optional<JWK> nextKey() {
        synchronized (lock) {
            return next == null ? Optional.empty() : Optional.of(publicJwk(next));
        }
    }

    /** The public keys as {@code /keys} serves them right now, in publication order. */
    public List<JWK> publishedKeys() {
        synchronized (lock) {
            return keys.stream().map(this::publicJwk).toList();
        }
    }

    /** The bundle's current {@code spiffe_sequence}. */
    public long bundleSequence() {
        synchronized (lock) {
            return sequence;
        }
    }

    /**
     * Prepares the next key: generates it and publishes it next to the current one, which keeps
     * signing (SPIRE does this halfway through the current key's life). A previously prepared key
     * that was never activated stays published as retired, as in SPIRE's bundle.
     */
    public void prepareRotation() {
        ManagedKey prepared = newKey(ManagedKey.Status.PREPARED);
        synchronized (lock) {
            if (next != null) {
                next.status = ManagedKey.Status.RETIRED;
            }
            next = prepared;
            keys.add(prepared);
            publicationChanged();
        }
    }

    /**
     * Activates the prepared key: it signs from now on and the previous key stays published
     * (SPIRE does this when a sixth of the current key's life remains).
     *
     * @throws IllegalStateException if no key was prepared
     */
    public void activateNextKey() {
        synchronized (lock) {
            if (next == null) {
                throw new IllegalStateException("no prepared key; call prepareRotation() first");
            }
            current.status = ManagedKey.Status.RETIRED;
            next.status = ManagedKey.Status.ACTIVE;
            current = next;
            next = null;
        }
    }

    /**
     * Unpublishes every key that no longer signs and is not the prepared next key, like SPIRE's
     * bundle pruning a day after a key expired.
     */
    public void dropRetiredKeys() {
        synchronized (lock) {
            if (keys.removeIf(k -> k.status == ManagedKey.Status.RETIRED)) {
                publicationChanged();
            }
        }
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
        synchronized (lock) {
            Instant expiresBefore = clock.instant().minus(BUNDLE_SAFETY_THRESHOLD);
            boolean changed = keys.removeIf(k -> k != current && !k.notAfter.isAfter(expiresBefore));
            if (changed) {
                if (next != null && !keys.contains(next)) {
                    next = null;
                }
                publicationChanged();
            }
            return changed;
        }
    }

    /** {@link #prepareRotation()} then {@link #activateNextKey()}: a new key signs at once, the old stays published. */
    public void rotate() {
        prepareRotation();
        activateNextKey();
    }

    // ------------------------------------------------------------------ faults

    /** Delays every response of the given endpoints (all when none given) by {@code delay}. */
    public SpireEmulator responseDelay(Duration delay, Endpoint... only) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay");
        }
        for (Endpoint e : targets(only)) {
            endpoints.get(e).delay = delay;
        }
        return this;
    }

    /** Answers the given endpoints (all when none given) with {@code status} and a short text body. */
    public SpireEmulator failWith(int status, Endpoint... only) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        String body = status == 204 || status == 304 || status < 200 ? null : "emulated failure: HTTP " + status + "\n";
        return setFault(new Fault(status, body, "text/plain; charset=utf-8", null), only);
    }

    /** Answers the given endpoints (all when none given) with 200, {@code body} and {@code contentType}. */
    public SpireEmulator serveRaw(String body, String contentType, Endpoint... only) {
        Objects.requireNonNull(body, "body");
        return setFault(new Fault(200, body, contentType, null), only);
    }

    /** Answers the given endpoints (all when none given) with {@code 302 Found} to {@code location}. */
    public SpireEmulator redirectTo(String location, Endpoint... only) {
        Objects.requireNonNull(location, "location");
        return setFault(new Fault(302, null, null, location), only);
    }

    /** Clears every delay and fault; counters, keys and the listener are left as they are. */
    public SpireEmulator reset() {
        for (EndpointState s : endpoints.values()) {
            s.delay = Duration.ZERO;
            s.fault = null;
        }
        return this;
    }

    private SpireEmulator setFault(Fault fault, Endpoint... only) {
        for (Endpoint e : targets(only)) {
            endpoints.get(e).fault = fault;
        }
        return this;
    }

    private static Collection<Endpoint> targets(Endpoint... only) {
        return only == null || only.length == 0 ? Arrays.asList(Endpoint.values()) : Arrays.asList(only);
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
        return endpoints.get(endpoint).requests.get();
    }

    /** Sets every request counter back to zero. */
    public void resetCounters() {
        for (EndpointState s : endpoints.values()) {
            s.requests.set(0);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Closes the listener: connections are refused until {@link #restart()}. Idempotent. */
    public void stop() {
        synchronized (lock) {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }
    }

    /** Stops the listener if it runs and opens it again on the same port. */
    public void restart() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("emulator is closed");
            }
            stop();
            try {
                server = bind(port);
            } catch (IOException e) {
                throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + " again", e);
            }
        }
    }

    /** Whether the listener is open. */
    public boolean isRunning() {
        synchronized (lock) {
            return server != null;
        }
    }

    /** Stops the listener for good and releases its threads. */
    @Override
    public void close() {
        synchronized (lock) {
            stop();
            closed = true;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "SpireEmulator[" + trustDomain + " at " + baseUrl + "]";
    }

    private HttpServer bind(int wanted) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted);
        BindException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                HttpServer s = HttpServer.create(address, 64);
                s.createContext("/", this::handle);
                s.setExecutor(executor);
                s.start();
                return s;
            } catch (BindException e) {
                if (wanted == 0) {
                    throw e;
                }
                last = e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw last != null ? last : new BindException("cannot bind " + address);
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) {
        try {
            String path = ex.getRequestURI().getRawPath();
            Endpoint endpoint = switch (path) {
                case DISCOVERY_PATH -> Endpoint.DISCOVERY;
                case KEYS_PATH -> Endpoint.KEYS;
                case BUNDLE_PATH -> Endpoint.BUNDLE;
                default -> null;
            };
            if (endpoint == null) {
                sendText(ex, 404, "404 page not found\n");
                return;
            }
            EndpointState state = endpoints.get(endpoint);
            state.requests.incrementAndGet();
            Duration delay = state.delay;
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            Fault fault = state.fault;
            if (fault != null) {
                sendFault(ex, fault);
                return;
            }
            if (!"GET".equals(ex.getRequestMethod())) {
                sendText(ex, 405, endpoint == Endpoint.BUNDLE ? "405 method not allowed\n" : "method not allowed\n");
                return;
            }
            switch (endpoint) {
                case DISCOVERY -> serveDiscovery(ex);
                case KEYS -> serveKeys(ex);
                case BUNDLE -> serveBundle(ex);
                default -> throw new IllegalStateException();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "SPIRE emulator could not answer " + ex.getRequestURI(), e);
        } finally {
            ex.close();
        }
    }

    /** Mirrors {@code serveWellKnown} of SPIRE's OIDC Discovery Provider (insecure scheme allowed). */
    private void serveDiscovery(HttpExchange ex) throws IOException {
        Headers in = ex.getRequestHeaders();
        String host = first(in, "X-Forwarded-Host");
        if (host == null) {
            host = first(in, "Host");
        }
        if (host == null) {
            host = baseUrl.getRawAuthority();
        }
        String proto = first(in, "X-Forwarded-Proto");
        if (proto == null) {
            proto = first(in, "X-Forwarded-Scheme");
        }
        String scheme = "https".equalsIgnoreCase(proto) ? "https" : "http";

        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer != null ? issuer : scheme + "://" + host);
        doc.put("jwks_uri", scheme + "://" + host + KEYS_PATH);
        doc.put("authorization_endpoint", "");
        doc.put("response_types_supported", List.of("id_token"));
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256", "ES384"));
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, GoJson.marshalIndent(doc, "  ").getBytes(StandardCharsets.UTF_8));
    }

    /** Mirrors {@code serveKeys} of SPIRE's OIDC Discovery Provider, which uses {@code http.ServeContent}. */
    private void serveKeys(HttpExchange ex) throws IOException {
        List<Object> jwks = new ArrayList<>();
        Instant modified;
        synchronized (lock) {
            for (ManagedKey k : keys) {
                jwks.add(jwkJson(k, setKeyUse ? "sig" : null, true));
            }
            modified = keysModified;
        }
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("keys", jwks);
        byte[] body = GoJson.marshalIndent(set, "  ").getBytes(StandardCharsets.UTF_8);

        Headers out = ex.getResponseHeaders();
        out.set("Cache-Control", "no-cache, no-store, must-revalidate");
        out.set("Pragma", "no-cache");
        out.set("Expires", "0");
        Instant lastModified = Instant.ofEpochSecond(modified.getEpochSecond());
        out.set("Last-Modified", HTTP_DATE.format(lastModified));
        String ims = first(ex.getRequestHeaders(), "If-Modified-Since");
        if (ims != null && first(ex.getRequestHeaders(), "If-None-Match") == null) {
            try {
                Instant since = java.time.ZonedDateTime.parse(ims, HTTP_DATE).toInstant();
                if (!lastModified.isAfter(since)) {
                    send(ex, 304, null);
                    return;
                }
            } catch (DateTimeParseException ignored) {
                // Go ignores an unparsable If-Modified-Since too.
            }
        }
        out.set("Accept-Ranges", "bytes");
        out.set("Content-Type", "application/json");
        send(ex, 200, body);
    }

    /** Mirrors SPIRE's bundle endpoint: {@code bundleutil.Marshal} output, indented by four spaces. */
    private void serveBundle(HttpExchange ex) throws IOException {
        List<Object> jwks = new ArrayList<>();
        long seq;
        if (x509Authority != null) {
            Map<String, Object> ca = new LinkedHashMap<>();
            ECKey pub = new ECKey.Builder(Curve.P_256, x509Authority.publicKey()).build();
            ca.put("use", "x509-svid");
            ca.put("kty", "EC");
            ca.put("crv", "P-256");
            ca.put("x", pub.getX().toString());
            ca.put("y", pub.getY().toString());
            ca.put("x5c", List.of(Base64.getEncoder().encodeToString(x509Authority.der())));
            jwks.add(ca);
        }
        synchronized (lock) {
            for (ManagedKey k : keys) {
                jwks.add(jwkJson(k, "jwt-svid", false));
            }
            seq = sequence;
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("keys", jwks);
        doc.put("spiffe_sequence", seq);
        long hint = refreshHint.getSeconds();
        if (hint != 0) {
            doc.put("spiffe_refresh_hint", hint);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, GoJson.marshalIndent(doc, "    ").getBytes(StandardCharsets.UTF_8));
    }

    private static void sendFault(HttpExchange ex, Fault fault) throws IOException {
        if (fault.location != null) {
            ex.getResponseHeaders().set("Location", fault.location);
            send(ex, fault.status, null);
            return;
        }
        if (fault.contentType != null) {
            ex.getResponseHeaders().set("Content-Type", fault.contentType);
        }
        send(ex, fault.status, fault.body == null ? null : fault.body.getBytes(StandardCharsets.UTF_8));
    }

    /** Like Go's {@code http.Error}. */
    private static void sendText(HttpExchange ex, int status, String text) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        send(ex, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        boolean head = "HEAD".equals(ex.getRequestMethod());
        if (body == null || body.length == 0 || head) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    private static String first(Headers headers, String name) {
        String v = headers.getFirst(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    // ------------------------------------------------------------------ keys, internals

    /** Caller holds {@link #lock}. */
    private void publicationChanged() {
        sequence++;
        keysModified = clock.instant();
    }

    private ManagedKey newKey(ManagedKey.Status status) {
        String kid = newKid();
        try {
            JWK jwk = switch (keyType) {
                case EC_P256 -> new ECKeyGenerator(Curve.P_256).keyID(kid).algorithm(keyType.algorithm()).generate();
                case EC_P384 -> new ECKeyGenerator(Curve.P_384).keyID(kid).algorithm(keyType.algorithm()).generate();
                case RSA_2048 -> new RSAKeyGenerator(2048).keyID(kid).algorithm(keyType.algorithm()).generate();
                case RSA_4096 -> new RSAKeyGenerator(4096).keyID(kid).algorithm(keyType.algorithm()).generate();
            };
            JWSSigner signer = jwk instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) jwk);
            return new ManagedKey(kid, jwk, signer, status, clock.instant().plus(caTtl));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a " + keyType + " key", e);
        }
    }

    /** SPIRE's JWT-SVID {@code jti}: a version-4 UUID's 16 bytes, base64url without padding (22 characters). */
    static String newJti() {
        UUID uuid = UUID.randomUUID();
        byte[] bytes = new byte[16];
        long msb = uuid.getMostSignificantBits();
        long lsb = uuid.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (msb >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (lsb >>> (56 - 8 * i));
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** SPIRE's {@code newKeyID}: 32 random bytes, each mapped onto [a-zA-Z0-9] modulo 62. */
    private static String newKid() {
        byte[] choices = new byte[32];
        RANDOM.nextBytes(choices);
        StringBuilder kid = new StringBuilder(32);
        for (byte b : choices) {
            kid.append(KID_ALPHABET.charAt((b & 0xFF) % KID_ALPHABET.length()));
        }
        return kid.toString();
    }

    private JWK publicJwk(ManagedKey k) {
        JWK pub = k.jwk.toPublicJWK();
        if (pub instanceof ECKey ec) {
            return new ECKey.Builder(ec).keyUse(setKeyUse ? KeyUse.SIGNATURE : null).build();
        }
        return new RSAKey.Builder((RSAKey) pub).keyUse(setKeyUse ? KeyUse.SIGNATURE : null).build();
    }

    /** A go-jose {@code JSONWebKey} as Go serializes it: use, kty, kid, crv, alg, x, y, n, e. */
    private Map<String, Object> jwkJson(ManagedKey k, String use, boolean withAlg) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (use != null) {
            m.put("use", use);
        }
        if (k.jwk instanceof ECKey ec) {
            m.put("kty", "EC");
            m.put("kid", k.kid);
            m.put("crv", ec.getCurve().getName());
            if (withAlg) {
                m.put("alg", keyType.algorithm().getName());
            }
            m.put("x", ec.getX().toString());
            m.put("y", ec.getY().toString());
        } else {
            RSAKey rsa = (RSAKey) k.jwk;
            m.put("kty", "RSA");
            m.put("kid", k.kid);
            if (withAlg) {
                m.put("alg", keyType.algorithm().getName());
            }
            m.put("n", rsa.getModulus().toString());
            m.put("e", rsa.getPublicExponent().toString());
        }
        return m;
    }

    private ManagedKey currentKey() {
        synchronized (lock) {
            return current;
        }
    }

    private String sign(ManagedKey k, Map<String, Object> claims) {
        JWSAlgorithm alg = keyType.algorithm();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", alg.getName());
        header.put("kid", k.kid);
        header.put("typ", "JWT");
        String signingInput = Base64URL.encode(GoJson.marshal(header)).toString()
                + "." + Base64URL.encode(GoJson.marshal(claims)).toString();
        try {
            JWSHeader jwsHeader = new JWSHeader.Builder(alg).keyID(k.kid).type(JOSEObjectType.JWT).build();
            Base64URL signature = k.signer.sign(jwsHeader, signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + signature;
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a JWT-SVID", e);
        }
    }

    /**
     * Validates a SPIFFE ID the way SPIRE does before minting: a well-formed ID (SPIFFE ID spec
     * section 2) that is a workload in this trust domain, i.e. has a non-empty path.
     */
    static String checkSpiffeId(String id, String trustDomain) {
        if (id == null || !id.startsWith("spiffe://")) {
            throw new IllegalArgumentException("invalid JWT-SVID ID: scheme is missing or invalid: " + id);
        }
        String rest = id.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        String td = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (td.isEmpty() || !TRUST_DOMAIN.matcher(td).matches()) {
            throw new IllegalArgumentException("invalid JWT-SVID ID: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores: " + id);
        }
        if (!path.isEmpty()) {
            String[] segments = path.substring(1).split("/", -1);
            for (String s : segments) {
                if (s.isEmpty()) {
                    throw new IllegalArgumentException("invalid JWT-SVID ID: path cannot contain empty segments: " + id);
                }
                if (s.equals(".") || s.equals("..")) {
                    throw new IllegalArgumentException("invalid JWT-SVID ID: path cannot contain dot segments: " + id);
                }
                if (!PATH_SEGMENT.matcher(s).matches()) {
                    throw new IllegalArgumentException("invalid JWT-SVID ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores: " + id);
                }
            }
        }
        if (!td.equals(trustDomain)) {
            throw new IllegalArgumentException("invalid JWT-SVID ID: \"" + id + "\" is not a member of trust domain \"" + trustDomain + "\"");
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("invalid JWT-SVID ID: \"" + id + "\" is not a member of trust domain \"" + trustDomain + "\"; path is empty");
        }
        return id;
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
            if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
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
            this.jti = newJti();
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
            List<String> aud = audience.stream().filter(a -> a != null && !a.isEmpty()).toList();
            if (checked) {
                checkSpiffeId(spiffeId, trustDomain);
                if (aud.isEmpty()) {
                    throw new IllegalArgumentException("invalid JWT-SVID audience: cannot be empty");
                }
            }
            ManagedKey key = currentKey();
            Instant iat = issuedAt != null ? issuedAt : clock.instant();
            Duration lifetime = ttl == null || ttl.isNegative() || ttl.isZero() ? defaultTtl : ttl;
            Instant exp = expiresAt != null ? expiresAt : iat.plus(lifetime);
            if (expiresAt == null && issuedAt == null && exp.isAfter(key.notAfter)) {
                exp = key.notAfter; // SPIRE's ExpirationCap; explicit iat/exp are test overrides
            }

            Map<String, Object> claims = new TreeMap<>();
            claims.put("sub", spiffeId);
            claims.put("exp", exp.getEpochSecond());
            claims.put("aud", aud);
            claims.put("iat", iat.getEpochSecond());
            if (issuer != null) {
                claims.put("iss", issuer);
            }
            if (jti != null) {
                claims.put("jti", jti);
            }
            for (Map.Entry<String, Object> e : extra.entrySet()) {
                if (e.getValue() == null) {
                    claims.remove(e.getKey());
                } else {
                    claims.put(e.getKey(), GoJson.sortedDeep(e.getValue()));
                }
            }
            return sign(key, claims);
        }
    }

    private static final class ManagedKey {
        enum Status { ACTIVE, PREPARED, RETIRED }

        final String kid;
        final JWK jwk;
        final JWSSigner signer;
        /** {@code ca_ttl} after generation (SPIRE's {@code jwtKey.NotAfter}). */
        final Instant notAfter;
        Status status;

        ManagedKey(String kid, JWK jwk, JWSSigner signer, Status status, Instant notAfter) {
            this.kid = kid;
            this.jwk = jwk;
            this.signer = signer;
            this.status = status;
            this.notAfter = notAfter;
        }
    }

    private static final class EndpointState {
        final AtomicLong requests = new AtomicLong();
        volatile Duration delay = Duration.ZERO;
        volatile Fault fault;
    }

    private record Fault(int status, String body, String contentType, String location) {
    }
}
