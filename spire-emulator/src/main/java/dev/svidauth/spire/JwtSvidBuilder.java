package dev.svidauth.spire;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One JWT-SVID to mint, built like SPIRE's {@code BuildWorkloadJWTSVIDClaims}: empty audience
 * values are dropped and at least one must remain; the SPIFFE ID must be a workload of the
 * emulator's trust domain; a non-positive TTL means the default. {@link #claim(String, Object)}
 * plays the credential composer: it may add, replace (even {@code aud} or {@code iss}) or, with
 * {@code null}, remove claims. Start one with {@link SpireEmulator#svid(String)}.
 */
public final class JwtSvidBuilder {
    private final Minter minter;
    private final String spiffeId;
    private final List<String> audience = new ArrayList<>();
    private Duration ttl;
    private Instant issuedAt;
    private Instant expiresAt;
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private String jti;
    private boolean checked = true;

    JwtSvidBuilder(Minter minter, String spiffeId) {
        this.minter = minter;
        this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
    }

    /** Sets the audience (replacing earlier values). */
    public JwtSvidBuilder audience(String... audience) {
        return audience(Arrays.asList(audience));
    }

    /** Sets the audience (replacing earlier values). */
    public JwtSvidBuilder audience(Collection<String> audience) {
        this.audience.clear();
        this.audience.addAll(audience);
        return this;
    }

    /**
     * Lifetime; {@code exp = iat + ttl}, capped at the signing key's expiry as SPIRE caps it
     * (unless {@link #issuedAt(Instant)} or {@link #expiresAt(Instant)} override the times).
     * Default: the emulator's default TTL.
     */
    public JwtSvidBuilder ttl(Duration ttl) {
        this.ttl = ttl;
        return this;
    }

    /** {@code iat}; default now. Any instant, also past or future, for time-check tests. */
    public JwtSvidBuilder issuedAt(Instant issuedAt) {
        this.issuedAt = issuedAt;
        return this;
    }

    /** {@code exp} outright, overriding the TTL and the cap at the key's expiry (SPIRE would never mint it beyond). */
    public JwtSvidBuilder expiresAt(Instant expiresAt) {
        this.expiresAt = expiresAt;
        return this;
    }

    /** Adds or replaces a claim as a credential composer would; {@code null} removes it. */
    public JwtSvidBuilder claim(String name, Object value) {
        extra.put(Objects.requireNonNull(name, "name"), value);
        return this;
    }

    /**
     * Adds a random {@code jti} as SPIRE 1.15.2+ does for entries with
     * {@code -jwtSVIDIncludeJTI}: {@code base64.RawURLEncoding} of a version-4 UUID's 16 bytes,
     * 22 characters ({@code pkg/server/credtemplate/builder.go}).
     */
    public JwtSvidBuilder withJti() {
        this.jti = Minter.newJti();
        return this;
    }

    /** Adds this {@code jti}. */
    public JwtSvidBuilder jti(String jti) {
        this.jti = Objects.requireNonNull(jti, "jti");
        return this;
    }

    /**
     * Skips SPIRE's checks on the SPIFFE ID and audience, for tokens SPIRE would refuse to mint
     * (foreign trust domain, malformed ID, empty audience) but signed with the real key.
     */
    public JwtSvidBuilder unchecked() {
        this.checked = false;
        return this;
    }

    /** Signs with the current key and returns the compact JWS. */
    public String mint() {
        return minter.mint(new Minter.Request(spiffeId, new ArrayList<>(audience), ttl, issuedAt, expiresAt,
                Collections.unmodifiableMap(new LinkedHashMap<>(extra)), jti, checked));
    }
}
