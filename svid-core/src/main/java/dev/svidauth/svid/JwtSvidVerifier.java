package dev.svidauth.svid;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Steps 5 to 9 of the request flow, for an SVID already parsed and a client already resolved:
 * issuer, audience, time, key and signature, replay. Each step is a small method that either
 * returns or throws {@link SvidRejectedException} naming the check. Stateless and thread-safe.
 */
public final class JwtSvidVerifier {

    private final Clock clock;
    private final VerifiedJwtSignatureCache signatures;

    /** A verifier that checks every signature. */
    public JwtSvidVerifier(Clock clock) {
        this(clock, VerifiedJwtSignatureCache.DISABLED);
    }

    /** A verifier that skips the signature check of an SVID whose signature {@code signatures} saw verified by a current key. */
    public JwtSvidVerifier(Clock clock, VerifiedJwtSignatureCache signatures) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.signatures = Objects.requireNonNull(signatures, "signatures");
    }

    /**
     * Steps 2 and 3 ({@link ParsedJwtSvid#parse}), or the parse kept with a verified signature of
     * this exact token ({@link VerifiedJwtSignatureCache#parsed}): an SVID presented again is not
     * decoded again. Either way the result goes through every check of {@link #verify}.
     */
    public ParsedJwtSvid parse(String token) throws SvidRejectedException {
        ParsedJwtSvid known = token == null ? null : signatures.parsed(token, clock.millis());
        return known != null ? known : ParsedJwtSvid.parse(token);
    }

    /**
     * @param serverAudiences the server's own audiences this client accepts: the realm's issuer URL
     *                        (draft-ietf-oauth-spiffe-client-auth-02, draft-ietf-oauth-rfc7523bis),
     *                        plus the token endpoint URL and the endpoint called for a client that
     *                        opted in ({@link SvidPolicy#endpointAudiences()})
     */
    public VerifiedJwtSvid verify(ParsedJwtSvid svid, SvidPolicy policy, Set<String> serverAudiences, KeyResolver keys,
                                  ReplayGuard replay) throws SvidRejectedException {
        return verify(svid, policy, serverAudiences, keys, replay, Steps.NONE);
    }

    /** The steps of {@link #verify}, in order; a step that fails throws instead of being reported. */
    public enum Step {
        ISSUER("issuer"), AUDIENCE("audience"), TIME("time"), SIGNATURE("signature"), REPLAY("replay");

        private final String label;

        Step(String label) {
            this.label = label;
        }

        /** Lower-case name, as diagnostics show it. */
        public String label() {
            return label;
        }
    }

    /** Told of every step that passed, with a one-line account of what was checked. */
    @FunctionalInterface
    public interface Steps {
        Steps NONE = (step, detail) -> {
        };

        void passed(Step step, String detail);
    }

    /** {@link #verify(ParsedJwtSvid, SvidPolicy, Set, KeyResolver, ReplayGuard)}, reporting each step that passed. */
    public VerifiedJwtSvid verify(ParsedJwtSvid svid, SvidPolicy policy, Set<String> serverAudiences, KeyResolver keys,
                                  ReplayGuard replay, Steps steps) throws SvidRejectedException {
        Instant now = clock.instant();
        // the steps' words are built only for a caller that reads them (the diagnostics endpoint)
        boolean report = steps != Steps.NONE;
        checkIssuer(svid, policy);
        if (report) {
            steps.passed(Step.ISSUER, policy.issuer() == null ? "no issuer pinned (svid.issuer empty): iss not checked"
                    : "iss equals the pinned issuer '" + policy.issuer() + "'");
        }
        checkAudience(svid, policy, serverAudiences);
        if (report) {
            steps.passed(Step.AUDIENCE, "every aud value is accepted: " + svid.audience());
        }
        checkTime(svid, policy, now);
        if (report) {
            steps.passed(Step.TIME, "valid until " + svid.expiresAt() + " (server time " + now.getEpochSecond()
                    + ", clock skew " + policy.clockSkew().toSeconds() + " s, lifetime cap " + policy.maxLifetime().toSeconds() + " s)");
        }
        String kid = checkSignature(svid, policy, keys, signatures, now);
        if (report) {
            steps.passed(Step.SIGNATURE, svid.algorithm() + " signature verified by key '" + kid + "'");
        }
        checkReplay(svid, policy, replay, now);
        if (report) {
            steps.passed(Step.REPLAY, policy.singleUse() ? "not used before (svid.single.use)"
                    : "reuse allowed (svid.single.use off)");
        }
        return new VerifiedJwtSvid(svid, kid);
    }

    /**
     * Step 5. A pinned issuer is compared byte for byte: no normalisation of case, trailing slash
     * or scheme, because every such "harmless" equivalence has let a token from a look-alike
     * issuer through somewhere. With no issuer pinned, iss is not checked at all (SPIRE omits it
     * unless jwt_issuer is configured); the key source is then the only anchor.
     */
    static void checkIssuer(ParsedJwtSvid svid, SvidPolicy policy) throws SvidRejectedException {
        String pinned = policy.issuer();
        if (pinned == null) {
            return;
        }
        if (svid.issuer() == null) {
            throw new SvidRejectedException(Reason.BAD_ISSUER,
                    "SVID has no 'iss' claim, but this client pins issuer '" + pinned + "'");
        }
        if (!pinned.equals(svid.issuer())) {
            throw new SvidRejectedException(Reason.BAD_ISSUER, "SVID issuer '" + Printable.printable(svid.issuer())
                    + "' does not match the issuer pinned for this client");
        }
    }

    /**
     * Step 6. Every aud value must be one this server accepts: an SVID minted for several
     * audiences could be replayed here by any of them (JWT-SVID spec section 3 asks validators to
     * reject SVIDs whose audience they are not in; we also refuse foreign extra audiences).
     */
    static void checkAudience(ParsedJwtSvid svid, SvidPolicy policy, Set<String> serverAudiences)
            throws SvidRejectedException {
        for (String aud : svid.audience()) {
            if (!serverAudiences.contains(aud) && !policy.audiences().contains(aud)) {
                throw new SvidRejectedException(Reason.BAD_AUDIENCE, "SVID audience '" + Printable.printable(aud)
                        + "' is not accepted here; " + expectedAudience(policy));
            }
        }
    }

    /** What a refused {@code aud} should have been, by the client's audience mode. */
    private static String expectedAudience(SvidPolicy policy) {
        if (policy.issuerOnlyAudience()) {
            return "this client accepts only this realm's issuer URL (svid.audience.issuer.only)";
        }
        String extra = policy.audiences().isEmpty() ? "" : " or one of the client's svid.audiences";
        return policy.endpointAudiences() ? "expected this realm's issuer or token endpoint URL" + extra
                : "expected this realm's issuer URL" + extra + " (endpoint URLs only with svid.audience.endpoints)";
    }

    /**
     * Seconds by which {@code exp - iat} may exceed {@code svid.max.lifetime}. SPIRE reads its
     * clock twice when it mints a JWT-SVID ({@code BuildWorkloadJWTSVIDClaims} for {@code iat},
     * then {@code computeCappedLifetime} for {@code exp}, in {@code pkg/server/credtemplate/builder.go})
     * and truncates both to whole seconds, so an SVID with a TTL of N s can carry
     * {@code exp - iat = N + 1}. Without {@code iat} the lifetime is {@code exp - now}, which the
     * second clock read cannot lengthen, and no margin applies.
     */
    static final long MINTING_CLOCK_MARGIN_SECONDS = 1;

    /** Step 7: exp, nbf and iat with the client's clock skew, and the lifetime cap (+ {@link #MINTING_CLOCK_MARGIN_SECONDS}). */
    static void checkTime(ParsedJwtSvid svid, SvidPolicy policy, Instant now) throws SvidRejectedException {
        Duration skew = policy.clockSkew();
        if (!now.isBefore(svid.expiresAt().plus(skew))) {
            throw new SvidRejectedException(Reason.EXPIRED, "SVID expired at " + svid.expiresAt()
                    + " (server time " + now.getEpochSecond() + ", clock skew " + skew.toSeconds() + " s)");
        }
        if (svid.notBefore() != null && svid.notBefore().minus(skew).isAfter(now)) {
            throw new SvidRejectedException(Reason.NOT_YET_VALID, "SVID is not valid before " + svid.notBefore()
                    + " (clock skew " + skew.toSeconds() + " s)");
        }
        if (svid.issuedAt() != null && svid.issuedAt().minus(skew).isAfter(now)) {
            throw new SvidRejectedException(Reason.NOT_YET_VALID, "SVID was issued in the future (iat "
                    + svid.issuedAt() + ", clock skew " + skew.toSeconds() + " s)");
        }
        Instant start = svid.issuedAt() != null ? svid.issuedAt() : now;
        long lifetime = svid.expiresAt().getEpochSecond() - start.getEpochSecond();
        long margin = svid.issuedAt() != null ? MINTING_CLOCK_MARGIN_SECONDS : 0;
        if (lifetime > policy.maxLifetime().toSeconds() + margin) {
            throw new SvidRejectedException(Reason.LIFETIME_TOO_LONG, "SVID lifetime of " + lifetime
                    + " s exceeds the " + policy.maxLifetime().toSeconds() + " s allowed for this client (svid.max.lifetime)");
        }
    }

    /**
     * Step 8: the algorithm must be in the client's allowlist, then a key from the client's key
     * source must verify the signature. The key must fit the algorithm (family, curve, its own
     * alg), which closes algorithm-confusion attacks even for keys without an alg member. The
     * same token presented again skips the public-key operation while the key that verified it
     * is still a candidate ({@link VerifiedJwtSignatureCache}).
     *
     * @return the kid of the verifying key
     */
    static String checkSignature(ParsedJwtSvid svid, SvidPolicy policy, KeyResolver keys, VerifiedJwtSignatureCache signatures,
                                 Instant now) throws SvidRejectedException {
        if (!policy.algorithms().contains(svid.algorithm())) {
            throw new SvidRejectedException(Reason.BAD_ALG, "SVID algorithm '" + svid.algorithm()
                    + "' is not allowed for this client (svid.algorithms: " + String.join(", ", policy.algorithms()) + ")");
        }
        List<VerificationKey> candidates = keys.candidates(svid.kid(), svid.algorithm());
        VerificationKey known = signatures.verifiedBy(svid, candidates, now.toEpochMilli());
        if (known != null && known.canVerify(svid.algorithm())) {
            return known.kid();
        }
        // The signing input and signature straight from the compact form ParsedJwtSvid validated
        // (base64url parts; header limited to alg, kid and typ, so no crit): no second parse.
        String token = svid.token();
        int dot = token.lastIndexOf('.');
        byte[] signingInput = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        Base64URL signature = new Base64URL(token.substring(dot + 1));
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.parse(svid.algorithm())).keyID(svid.kid()).build();
        boolean compatible = false;
        for (VerificationKey key : candidates) {
            if (!key.canVerify(svid.algorithm())) {
                continue;
            }
            compatible = true;
            try {
                if (key.verifier().verify(header, signingInput, signature)) {
                    signatures.remember(svid, key, svid.expiresAt().plus(policy.clockSkew()).toEpochMilli(),
                            now.toEpochMilli());
                    return key.kid();
                }
            } catch (JOSEException | IllegalStateException e) {
                // a malformed signature is just an invalid one
            }
        }
        if (!compatible) {
            throw new SvidRejectedException(Reason.BAD_SIGNATURE, "SVID key '" + Printable.printable(String.valueOf(svid.kid()))
                    + "' cannot verify " + svid.algorithm() + " signatures (key type, curve or alg differ)");
        }
        throw new SvidRejectedException(Reason.BAD_SIGNATURE, "SVID signature is invalid");
    }

    /**
     * Step 9, for single-use clients only: an SVID (by jti, else by SHA-256 of its signed header
     * and payload) is accepted once until it expires. Off by default because SPIFFE agents cache
     * an SVID and present it until shortly before it expires.
     *
     * <p>The signature part is left out of the hash on purpose: it is malleable (ECDSA's (r, n-s)
     * verifies like (r, s), and base64url's unused trailing bits can be flipped), so a hash over
     * the whole compact string would let a replayed SVID pass as a new one.
     */
    static void checkReplay(ParsedJwtSvid svid, SvidPolicy policy, ReplayGuard replay, Instant now)
            throws SvidRejectedException {
        if (!policy.singleUse()) {
            return;
        }
        String key = "svid-auth.replay." + (svid.jti() != null
                ? sha256(svid.spiffeId() + "\n" + svid.issuer() + "\n" + svid.jti())
                : sha256(signingInput(svid.token())));
        long lifespan = Math.max(1, svid.expiresAt().plus(policy.clockSkew()).getEpochSecond() - now.getEpochSecond());
        if (!replay.firstUse(key, lifespan)) {
            throw new SvidRejectedException(Reason.REPLAYED, "SVID was already used; this client accepts each SVID once (svid.single.use)");
        }
    }

    /** header.payload: the part of a JWS its signature covers. */
    static String signingInput(String token) {
        return token.substring(0, token.lastIndexOf('.'));
    }

    static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JRE", e);
        }
    }
}
