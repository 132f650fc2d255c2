package dev.svidauth.svid;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What one client accepts of an SVID: pinned issuer, extra audiences, lifetime cap, clock skew,
 * single use and the algorithm allowlist. Immutable; built from client attributes by the Keycloak
 * layer, or directly in tests.
 */
public final class SvidPolicy {

    /** JWT-SVID algorithms (JWT-SVID spec section 3): asymmetric RSA, RSA-PSS and ECDSA only. */
    public static final Set<String> SUPPORTED_ALGORITHMS = Collections.unmodifiableSet(new LinkedHashSet<>(
            java.util.List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")));

    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

    private final String issuer;
    private final Set<String> audiences;
    private final Duration maxLifetime;
    private final Duration clockSkew;
    private final boolean singleUse;
    private final Set<String> algorithms;
    private final boolean issuerOnlyAudience;
    private final boolean endpointAudiences;

    private SvidPolicy(Builder b) {
        this.issuer = b.issuer;
        this.audiences = Collections.unmodifiableSet(new LinkedHashSet<>(b.audiences));
        this.maxLifetime = b.maxLifetime;
        this.clockSkew = b.clockSkew;
        this.singleUse = b.singleUse;
        this.algorithms = Collections.unmodifiableSet(new LinkedHashSet<>(b.algorithms));
        this.issuerOnlyAudience = b.issuerOnlyAudience;
        this.endpointAudiences = b.endpointAudiences;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The pinned issuer, or null when {@code iss} is not checked. */
    public String issuer() {
        return issuer;
    }

    /** Audiences accepted in addition to the server's own. */
    public Set<String> audiences() {
        return audiences;
    }

    public Duration maxLifetime() {
        return maxLifetime;
    }

    public Duration clockSkew() {
        return clockSkew;
    }

    public boolean singleUse() {
        return singleUse;
    }

    public Set<String> algorithms() {
        return algorithms;
    }

    /**
     * Whether {@code aud} must be the authorization server's issuer only, as
     * draft-ietf-oauth-spiffe-client-auth-02 section 3 requires (no token endpoint URL, no extra
     * audiences); the caller then passes only the issuer as server audience.
     */
    public boolean issuerOnlyAudience() {
        return issuerOnlyAudience;
    }

    /**
     * Whether the authorization server's token endpoint URL and the URL of the endpoint called are
     * accepted as {@code aud} besides its issuer: an opt-in for workloads that cannot yet mint
     * for the issuer. Off by default, because draft-ietf-oauth-spiffe-client-auth-02 and
     * draft-ietf-oauth-rfc7523bis make the issuer identifier the only audience an authorization
     * server accepts (one fixed value closes the audience-injection attacks that endpoint URLs
     * allow); the caller then passes only the issuer as server audience.
     */
    public boolean endpointAudiences() {
        return endpointAudiences;
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private String issuer;
        private Set<String> audiences = Set.of();
        private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
        private Duration clockSkew = DEFAULT_CLOCK_SKEW;
        private boolean singleUse;
        private Set<String> algorithms = SUPPORTED_ALGORITHMS;
        private boolean issuerOnlyAudience;
        private boolean endpointAudiences;

        private Builder() {
        }

        public Builder issuer(String issuer) {
            this.issuer = issuer == null || issuer.isEmpty() ? null : issuer;
            return this;
        }

        public Builder audiences(Set<String> audiences) {
            this.audiences = Objects.requireNonNull(audiences, "audiences");
            return this;
        }

        public Builder maxLifetime(Duration maxLifetime) {
            this.maxLifetime = Objects.requireNonNull(maxLifetime, "maxLifetime");
            return this;
        }

        public Builder clockSkew(Duration clockSkew) {
            this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
            return this;
        }

        public Builder singleUse(boolean singleUse) {
            this.singleUse = singleUse;
            return this;
        }

        public Builder algorithms(Set<String> algorithms) {
            if (!SUPPORTED_ALGORITHMS.containsAll(algorithms) || algorithms.isEmpty()) {
                throw new IllegalArgumentException("algorithms must be a non-empty subset of " + SUPPORTED_ALGORITHMS);
            }
            this.algorithms = algorithms;
            return this;
        }

        public Builder issuerOnlyAudience(boolean issuerOnlyAudience) {
            this.issuerOnlyAudience = issuerOnlyAudience;
            return this;
        }

        public Builder endpointAudiences(boolean endpointAudiences) {
            this.endpointAudiences = endpointAudiences;
            return this;
        }

        public SvidPolicy build() {
            return new SvidPolicy(this);
        }
    }
}
