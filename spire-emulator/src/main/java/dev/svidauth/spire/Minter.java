package dev.svidauth.spire;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Mints JWT-SVIDs as SPIRE Server's {@code BuildWorkloadJWTSVIDClaims}
 * ({@code pkg/server/credtemplate/builder.go}) and JWT signing do: claims, their defaults and
 * caps, SPIRE's checks of the SPIFFE ID and audience, Go's serialization, the signature by the
 * key ring's current key. {@link JwtSvidBuilder} collects what one SVID should carry.
 */
final class Minter {

    static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
    private static final Pattern PATH_SEGMENT = Pattern.compile("[a-zA-Z0-9._-]+");

    private final String trustDomain;
    private final String issuer;
    private final Duration defaultTtl;
    private final Clock clock;
    private final KeyRing keys;

    Minter(String trustDomain, String issuer, Duration defaultTtl, Clock clock, KeyRing keys) {
        this.trustDomain = trustDomain;
        this.issuer = issuer;
        this.defaultTtl = defaultTtl;
        this.clock = clock;
        this.keys = keys;
    }

    /** What one SVID should carry; null fields take SPIRE's defaults. */
    record Request(String spiffeId, List<String> audience, Duration ttl, Instant issuedAt, Instant expiresAt,
                   Map<String, Object> extra, String jti, boolean checked) {
    }

    /** Signs with the current key and returns the compact JWS. */
    String mint(Request r) {
        List<String> aud = r.audience().stream().filter(a -> a != null && !a.isEmpty()).toList();
        if (r.checked()) {
            checkSpiffeId(r.spiffeId(), trustDomain, "JWT-SVID");
            if (aud.isEmpty()) {
                throw new IllegalArgumentException("invalid JWT-SVID audience: cannot be empty");
            }
        }
        KeyRing.ManagedKey key = keys.current();
        Instant iat = r.issuedAt() != null ? r.issuedAt() : clock.instant();
        Duration lifetime = r.ttl() == null || r.ttl().isNegative() || r.ttl().isZero() ? defaultTtl : r.ttl();
        Instant exp = r.expiresAt() != null ? r.expiresAt() : iat.plus(lifetime);
        if (r.expiresAt() == null && r.issuedAt() == null && exp.isAfter(key.notAfter)) {
            exp = key.notAfter; // SPIRE's ExpirationCap; explicit iat/exp are test overrides
        }

        Map<String, Object> claims = new TreeMap<>();
        claims.put("sub", r.spiffeId());
        claims.put("exp", exp.getEpochSecond());
        claims.put("aud", aud);
        claims.put("iat", iat.getEpochSecond());
        if (issuer != null) {
            claims.put("iss", issuer);
        }
        if (r.jti() != null) {
            claims.put("jti", r.jti());
        }
        for (Map.Entry<String, Object> e : r.extra().entrySet()) {
            if (e.getValue() == null) {
                claims.remove(e.getKey());
            } else {
                claims.put(e.getKey(), GoJson.sortedDeep(e.getValue()));
            }
        }
        return sign(key, claims);
    }

    private String sign(KeyRing.ManagedKey k, Map<String, Object> claims) {
        JWSAlgorithm alg = keys.keyType().algorithm();
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

    /**
     * Validates a SPIFFE ID the way SPIRE does before minting: a well-formed ID (SPIFFE ID spec
     * section 2) that is a workload in this trust domain, i.e. has a non-empty path
     * ({@code api.VerifyTrustDomainMemberID}); the messages name the {@code kind} of SVID as
     * SPIRE's do ({@code JWT-SVID}, {@code X509-SVID}).
     */
    static String checkSpiffeId(String id, String trustDomain, String kind) {
        String invalid = "invalid " + kind + " ID: ";
        if (id == null || !id.startsWith("spiffe://")) {
            throw new IllegalArgumentException(invalid + "scheme is missing or invalid: " + id);
        }
        String rest = id.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        String td = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (td.isEmpty() || !TRUST_DOMAIN.matcher(td).matches()) {
            throw new IllegalArgumentException(invalid + "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores: " + id);
        }
        if (!path.isEmpty()) {
            String[] segments = path.substring(1).split("/", -1);
            for (String s : segments) {
                if (s.isEmpty()) {
                    throw new IllegalArgumentException(invalid + "path cannot contain empty segments: " + id);
                }
                if (s.equals(".") || s.equals("..")) {
                    throw new IllegalArgumentException(invalid + "path cannot contain dot segments: " + id);
                }
                if (!PATH_SEGMENT.matcher(s).matches()) {
                    throw new IllegalArgumentException(invalid + "path segment characters are limited to letters, numbers, dots, dashes, and underscores: " + id);
                }
            }
        }
        if (!td.equals(trustDomain)) {
            throw new IllegalArgumentException(invalid + "\"" + id + "\" is not a member of trust domain \"" + trustDomain + "\"");
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException(invalid + "\"" + id + "\" is not a member of trust domain \"" + trustDomain + "\"; path is empty");
        }
        return id;
    }
}
