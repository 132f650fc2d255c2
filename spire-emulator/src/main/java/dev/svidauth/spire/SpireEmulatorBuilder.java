package dev.svidauth.spire;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link SpireEmulator}: SPIRE Server's settings ({@code server.conf}) and the
 * OIDC Discovery Provider's that the emulator follows, each with SPIRE's default. Get one from
 * {@link SpireEmulator#builder()}, finish with {@link #start()}. Not thread-safe.
 */
public final class SpireEmulatorBuilder {
    // Read by the emulator's constructor.
    String trustDomain = "example.org";
    String issuer;
    KeyType keyType = KeyType.EC_P256;
    boolean setKeyUse;
    Duration defaultTtl = SpireEmulator.DEFAULT_JWT_SVID_TTL;
    Duration refreshHint = SpireEmulator.DEFAULT_REFRESH_HINT;
    Duration caTtl = SpireEmulator.DEFAULT_CA_TTL;
    boolean x509Authority;
    KeyType x509CaKeyType = KeyType.EC_P256;
    Duration defaultX509SvidTtl = SpireEmulator.DEFAULT_X509_SVID_TTL;
    boolean x509Upstream;
    boolean x509UniqueId;
    boolean x509AutoRotation = true;
    boolean witSvids;
    Duration defaultWitSvidTtl = SpireEmulator.DEFAULT_WIT_SVID_TTL;
    int port;
    Clock clock = Clock.systemUTC();

    SpireEmulatorBuilder() {
    }

    /** Trust domain name, default {@code example.org}. */
    public SpireEmulatorBuilder trustDomain(String trustDomain) {
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
     * derived from the request's host as SPIRE's OIDC Discovery Provider does; {@link SpireEmulator#SELF}
     * for the emulator's own base URL; any other string is used verbatim in both.
     */
    public SpireEmulatorBuilder issuer(String issuer) {
        this.issuer = issuer;
        return this;
    }

    /** SPIRE Server's {@code jwt_key_type}, default {@link KeyType#EC_P256}. */
    public SpireEmulatorBuilder keyType(KeyType keyType) {
        this.keyType = Objects.requireNonNull(keyType, "keyType");
        return this;
    }

    /** The OIDC Discovery Provider's {@code set_key_use}: add {@code "use":"sig"} to {@code /keys}. Default off. */
    public SpireEmulatorBuilder setKeyUse(boolean setKeyUse) {
        this.setKeyUse = setKeyUse;
        return this;
    }

    /** SPIRE Server's {@code default_jwt_svid_ttl}, default 5 minutes. */
    public SpireEmulatorBuilder defaultTtl(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("default TTL must be positive");
        }
        this.defaultTtl = ttl;
        return this;
    }

    /** The bundle's {@code spiffe_refresh_hint} (whole seconds), default 300 s; zero omits it. */
    public SpireEmulatorBuilder refreshHint(Duration hint) {
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
    public SpireEmulatorBuilder x509Authority(boolean include) {
        this.x509Authority = include;
        return this;
    }

    /**
     * SPIRE Server's {@code ca_ttl}, default 24 h: the lifetime of each JWT key and X.509 CA,
     * counted from its generation. Caps {@code exp} of minted JWT-SVIDs and notAfter of
     * X.509-SVIDs, and sets the X.509 CA's rotation schedule.
     */
    public SpireEmulatorBuilder caTtl(Duration caTtl) {
        if (caTtl == null || caTtl.isNegative() || caTtl.isZero()) {
            throw new IllegalArgumentException("CA TTL must be positive");
        }
        this.caTtl = caTtl;
        return this;
    }

    /** SPIRE Server's {@code ca_key_type} for the X.509 CA, default {@link KeyType#EC_P256}. */
    public SpireEmulatorBuilder x509CaKeyType(KeyType type) {
        this.x509CaKeyType = Objects.requireNonNull(type, "type");
        return this;
    }

    /** SPIRE Server's {@code default_x509_svid_ttl}, default 1 hour. */
    public SpireEmulatorBuilder defaultX509SvidTtl(Duration ttl) {
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
    public SpireEmulatorBuilder x509UpstreamAuthority(boolean upstream) {
        this.x509Upstream = upstream;
        return this;
    }

    /**
     * SPIRE's optional {@code uniqueid} credential composer: X.509-SVID subjects get an
     * {@code x500UniqueIdentifier} (hex of the SPIFFE ID's truncated SHA-256). Default off, as
     * in SPIRE since 1.9.
     */
    public SpireEmulatorBuilder x509UniqueId(boolean uniqueId) {
        this.x509UniqueId = uniqueId;
        return this;
    }

    /**
     * Whether the X.509 CA rotates by itself on SPIRE's schedule at the emulator's clock (the
     * default), or only on {@link SpireEmulator#prepareX509Rotation()},
     * {@link SpireEmulator#activateNextX509Authority()} and {@link SpireEmulator#pruneBundle()}.
     */
    public SpireEmulatorBuilder x509AutoRotation(boolean automatic) {
        this.x509AutoRotation = automatic;
        return this;
    }

    /** Listen on this port instead of a free one (0, the default). */
    /**
     * Whether the emulator issues WIT-SVIDs: a key ring of its own, published in the bundle with
     * {@code use: wit-svid} (SPIFFE WIT-SVID spec section 6.1). Off by default: SPIRE 1.15 issues
     * none, and a bundle without {@code wit-svid} keys is a trust domain that issues no WIT-SVIDs.
     */
    public SpireEmulatorBuilder witSvids(boolean issue) {
        this.witSvids = issue;
        return this;
    }

    public SpireEmulatorBuilder port(int port) {
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
    public SpireEmulatorBuilder clock(Clock clock) {
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
