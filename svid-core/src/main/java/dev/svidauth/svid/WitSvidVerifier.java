package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;

import java.security.Provider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Verifies a WIT-SVID and its proof of possession, for a WIT-SVID already parsed
 * ({@link ParsedWitSvid}) and a client already resolved: the WIT-SVID's validity ({@code exp},
 * {@code nbf}), its signature by a {@code wit-svid} key of its trust domain's bundle, then the
 * Client Attestation PoP JWT of draft-ietf-oauth-attestation-based-client-auth ({@code typ}
 * {@value #POP_TYP}, signed by the WIT's {@code cnf} key with {@code cnf.jwk.alg}, {@code aud} the
 * authorization server's issuer, {@code iat} within the window, {@code exp} and {@code nbf} if present, {@code iss}
 * if present the client's {@code client_id}, {@code jti} single use). A WIT-SVID is never accepted
 * without this proof (WIT-SVID spec sections 4 and 7.1). Thread-safe.
 *
 * <p>Not implemented: the attestation draft's challenge endpoint. No challenge is offered, so a
 * {@code challenge} claim is ignored and freshness rests on {@code iat} and the single-use {@code jti}.
 */
public final class WitSvidVerifier {

    /** The {@code typ} of a Client Attestation PoP JWT (draft-ietf-oauth-attestation-based-client-auth). */
    public static final String POP_TYP = "oauth-client-attestation-pop+jwt";
    /** How old a PoP may be by its {@code iat} (plus the clock skew), unless the client sets otherwise. */
    public static final Duration DEFAULT_POP_MAX_AGE = Duration.ofSeconds(60);
    /** Longest {@code jti} of a PoP accepted. */
    static final int MAX_JTI_LENGTH = 256;
    /** How the single-use keys of PoPs start: apart from the JWT-SVIDs' {@code svid-auth.replay.}. */
    public static final String POP_KEY_PREFIX = "svid-auth.wit-pop.";
    private static final String WHAT = "PoP";

    private final Clock clock;
    private final SignatureMemo<ParsedWitSvid> signatures;
    private final Supplier<Provider> ecdsaProvider;

    /** A verifier that checks every WIT-SVID's signature, with the JDK's default providers. */
    public WitSvidVerifier(Clock clock) {
        this(clock, 0, () -> null);
    }

    /**
     * A verifier that remembers up to {@code cacheSize} WIT-SVIDs whose signature verified (a
     * workload presents one WIT-SVID with a new PoP on every request: the WIT-SVID's signature and
     * parse are then paid once, the PoP's signature every time), and checks ECDSA signatures of
     * the {@code cnf} keys with {@code ecdsaProvider}'s current choice (null: the JDK's default).
     */
    public WitSvidVerifier(Clock clock, int cacheSize, Supplier<Provider> ecdsaProvider) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.signatures = new SignatureMemo<>(cacheSize);
        this.ecdsaProvider = Objects.requireNonNull(ecdsaProvider, "ecdsaProvider");
    }

    /**
     * {@link ParsedWitSvid#parse(String, Provider)}, or the parse kept with a verified signature
     * of this exact token; either way the result goes through every check of {@link #verify}.
     */
    public ParsedWitSvid parse(String token) throws SvidRejectedException {
        ParsedWitSvid known = signatures.parsed(token, clock.millis());
        return known != null ? known : ParsedWitSvid.parse(token, ecdsaProvider.get());
    }

    /**
     * The single-use key a PoP is recorded under for one client of one realm: the verifier's key
     * ({@link ReplayGuard}) with the realm's and the client's internal ids after the prefix, so a
     * PoP's {@code jti} never meets another client's, nor a JWT-SVID's.
     */
    public static String scopedPopKey(String realmId, String clientUuid, String verifierKey) {
        return POP_KEY_PREFIX + realmId + "." + clientUuid + "." + verifierKey.substring(POP_KEY_PREFIX.length());
    }

    /**
     * @param pop       the {@code OAuth-Client-Attestation-PoP} header's value, or null
     * @param clientId  the resolved client's {@code client_id}: a PoP's {@code iss}, when present, must be it
     * @param issuer    this realm's issuer URL: the PoP's one audience
     * @param clockSkew leeway on every time comparison
     * @param popMaxAge how old a PoP may be by its {@code iat}
     * @param keys      the {@code wit-svid} keys of the WIT-SVID's trust domain
     * @param replay    where a PoP's {@code jti} is recorded
     */
    public VerifiedWitSvid verify(ParsedWitSvid wit, String pop, String clientId, String issuer, Duration clockSkew,
                                  Duration popMaxAge, KeyResolver keys, ReplayGuard replay) throws SvidRejectedException {
        requirePop(pop);
        Instant now = clock.instant();
        checkTime(wit, clockSkew, now);
        String kid = checkSignature(wit, clockSkew, keys, now);
        WitJose.Parts proof = WitJose.parse(pop, WHAT, POP_TYP, Reason.BAD_POP);
        Instant iat = checkPop(wit, proof, clientId, issuer, clockSkew, popMaxAge, now);
        checkPopReplay(wit, proof, iat, clockSkew, popMaxAge, replay, now);
        return new VerifiedWitSvid(wit, kid);
    }

    /**
     * The WIT-SVID's own checks of {@link #verify}, without a proof of possession: validity, then
     * the signature by a {@code wit-svid} key. For the diagnose endpoint only, which explains why a
     * WIT-SVID would be refused before a PoP is at hand; authentication always goes through
     * {@link #verify}, which refuses a WIT-SVID without a PoP before anything else.
     *
     * @return the kid of the key that verified the signature
     */
    public String checkWithoutPop(ParsedWitSvid wit, Duration clockSkew, KeyResolver keys) throws SvidRejectedException {
        Instant now = clock.instant();
        checkTime(wit, clockSkew, now);
        return checkSignature(wit, clockSkew, keys, now);
    }

    static void requirePop(String pop) throws SvidRejectedException {
        if (pop == null || pop.isEmpty()) {
            throw new SvidRejectedException(Reason.MISSING_POP, "WIT-SVID came without a proof of possession: send a Client"
                    + " Attestation PoP JWT signed by the WIT's cnf key in the OAuth-Client-Attestation-PoP header (WIT-SVID spec section 7.1)");
        }
    }

    /** {@code exp} (required, not past) and {@code nbf} (not future), with the clock skew (WIT-SVID spec sections 3.4, 3.5). */
    static void checkTime(ParsedWitSvid wit, Duration skew, Instant now) throws SvidRejectedException {
        if (!now.isBefore(wit.expiresAt().plus(skew))) {
            throw new SvidRejectedException(Reason.EXPIRED, "WIT-SVID expired at " + wit.expiresAt()
                    + " (server time " + now.getEpochSecond() + ", clock skew " + skew.toSeconds() + " s)");
        }
        if (wit.notBefore() != null && wit.notBefore().minus(skew).isAfter(now)) {
            throw new SvidRejectedException(Reason.NOT_YET_VALID, "WIT-SVID is not valid before " + wit.notBefore()
                    + " (clock skew " + skew.toSeconds() + " s)");
        }
    }

    /**
     * The signature by the bundle's {@code wit-svid} key named by {@code kid}; returns that kid.
     * The same token verified before by a key that is still a candidate is not verified again.
     */
    String checkSignature(ParsedWitSvid wit, Duration clockSkew, KeyResolver keys, Instant now) throws SvidRejectedException {
        List<VerificationKey> candidates = keys.candidates(wit.kid(), wit.algorithm());
        VerificationKey known = signatures.verifiedBy(wit.token(), wit, candidates, now.toEpochMilli());
        if (known != null && known.canVerify(wit.algorithm())) {
            return known.kid();
        }
        boolean compatible = false;
        for (VerificationKey key : candidates) {
            if (!key.canVerify(wit.algorithm())) {
                continue;
            }
            compatible = true;
            if (WitJose.verifies(key, wit.token(), wit.algorithm(), wit.kid())) {
                signatures.remember(wit.token(), key, wit.expiresAt().plus(clockSkew).toEpochMilli(), now.toEpochMilli());
                return key.kid();
            }
        }
        if (!compatible) {
            throw new SvidRejectedException(Reason.BAD_SIGNATURE, "WIT-SVID key '" + Printable.printable(wit.kid())
                    + "' cannot verify " + wit.algorithm() + " signatures (key type, curve or alg differ)");
        }
        throw new SvidRejectedException(Reason.BAD_SIGNATURE, "WIT-SVID signature is invalid");
    }

    /**
     * The PoP's rules of draft-ietf-oauth-attestation-based-client-auth ("Client Attestation PoP
     * JWT" and its validation): algorithm and signature of the {@code cnf} key, audience, age,
     * expiry, not-before and issuer. {@code exp} and {@code nbf} are optional there, so a PoP
     * without them is accepted; when present they bind. Returns its {@code iat}.
     */
    static Instant checkPop(ParsedWitSvid wit, WitJose.Parts pop, String clientId, String issuer, Duration skew,
                            Duration maxAge, Instant now) throws SvidRejectedException {
        if (!wit.confirmationAlgorithm().equals(pop.alg())) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP algorithm " + pop.alg() + " is not the WIT's cnf.jwk.alg "
                    + wit.confirmationAlgorithm());
        }
        if (!WitJose.verifies(wit.confirmationKey(), pop.token(), pop.alg(), null)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP signature does not verify with the WIT's cnf key");
        }
        checkPopAudience(pop.claims().get("aud"), issuer);
        Instant iat = WitJose.numericDate(pop.claims(), "iat", WHAT, Reason.BAD_POP);
        if (iat == null) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP has no 'iat' claim");
        }
        if (iat.minus(skew).isAfter(now)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP was issued in the future (iat " + iat + ", server time "
                    + now.getEpochSecond() + ", clock skew " + skew.toSeconds() + " s)");
        }
        if (iat.plus(maxAge).plus(skew).isBefore(now)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP was issued " + (now.getEpochSecond() - iat.getEpochSecond())
                    + " s ago; at most " + maxAge.toSeconds() + " s (+ clock skew " + skew.toSeconds() + " s) are accepted");
        }
        Instant exp = WitJose.numericDate(pop.claims(), "exp", WHAT, Reason.BAD_POP);
        if (exp != null && !now.isBefore(exp.plus(skew))) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP expired at " + exp);
        }
        // optional, but binding when present: the draft's "valid in all other respects per RFC 7519" (section 4.1.5)
        Instant nbf = WitJose.numericDate(pop.claims(), "nbf", WHAT, Reason.BAD_POP);
        if (nbf != null && nbf.minus(skew).isAfter(now)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP is not valid before " + nbf + " (server time "
                    + now.getEpochSecond() + ", clock skew " + skew.toSeconds() + " s)");
        }
        String iss = WitJose.string(pop.claims(), "iss", WHAT, Reason.BAD_POP);
        if (iss != null && !iss.equals(clientId)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP 'iss' '" + Printable.printable(iss)
                    + "' is not the client_id of the client it authenticates");
        }
        String jti = WitJose.string(pop.claims(), "jti", WHAT, Reason.BAD_POP);
        if (jti == null || jti.isEmpty()) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP has no 'jti' claim; it is required and single use");
        }
        if (jti.length() > MAX_JTI_LENGTH) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP 'jti' is longer than " + MAX_JTI_LENGTH + " characters");
        }
        return iat;
    }

    /**
     * The one audience of a PoP presented to an authorization server is its issuer identifier
     * (RFC 8414): a string, or an array of that one string.
     */
    static void checkPopAudience(JsonNode aud, String issuer) throws SvidRejectedException {
        String value = aud != null && aud.isTextual() ? aud.textValue()
                : aud != null && aud.isArray() && aud.size() == 1 && aud.get(0).isTextual() ? aud.get(0).textValue() : null;
        if (value == null) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP 'aud' must be this realm's issuer URL, as one string");
        }
        if (!value.equals(issuer)) {
            throw new SvidRejectedException(Reason.BAD_POP, "PoP 'aud' '" + Printable.printable(value)
                    + "' is not this realm's issuer URL");
        }
    }

    /**
     * The PoP's {@code jti} is accepted once, for the WIT's key, while its {@code iat} is within
     * the window; the entry is dropped when the window has passed, after which {@code iat} refuses
     * it anyway. The WIT-SVID's own {@code jti} is never used for this (WIT-SVID spec section 3.3).
     */
    static void checkPopReplay(ParsedWitSvid wit, WitJose.Parts pop, Instant iat, Duration skew, Duration maxAge,
                               ReplayGuard replay, Instant now) throws SvidRejectedException {
        String jti = pop.claims().get("jti").textValue();
        String key = POP_KEY_PREFIX + JwtSvidVerifier.sha256(wit.confirmationThumbprint() + "\n" + jti);
        long lifespan = Math.max(1, iat.plus(maxAge).plus(skew).getEpochSecond() - now.getEpochSecond() + 1);
        if (!replay.firstUse(key, lifespan)) {
            throw new SvidRejectedException(Reason.POP_REPLAYED, "PoP jti was already used with this WIT key; every request"
                    + " needs a PoP of its own");
        }
    }
}
