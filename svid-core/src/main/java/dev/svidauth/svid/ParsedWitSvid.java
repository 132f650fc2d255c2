package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;

/**
 * A WIT-SVID (SPIFFE {@code standards/WIT-SVID.md}, the SPIFFE profile of the WIMSE Workload
 * Identity Token) parsed and checked for shape, before any key is looked up: {@code typ}
 * {@code wit+jwt} exactly (so a JWT-SVID is never taken for a WIT-SVID, nor the reverse: the
 * JWT-SVID parser refuses this {@code typ}), a {@code kid} (section 2.1), an algorithm of the
 * section 2.3 list, {@code sub} a SPIFFE ID (3.1), {@code exp} (3.4), no {@code aud} (3.8), and
 * {@code cnf.jwk} a public key of an allowed type whose {@code alg} is of the list (3.2; a private
 * key is refused as draft-ietf-oauth-attestation-based-client-auth section "Client Attestation JWT"
 * asks). Immutable.
 */
public final class ParsedWitSvid {

    /** The {@code typ} of a WIT-SVID (WIT-SVID spec section 2.2). */
    public static final String TYP = "wit+jwt";
    private static final String WHAT = "WIT-SVID";
    /** JWK members that only a private (or symmetric) key has. */
    private static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    private final String token;
    private final String algorithm;
    private final String kid;
    private final SpiffeId spiffeId;
    private final String issuer;
    private final Instant expiresAt;
    private final Instant notBefore;
    private final String jti;
    private final VerificationKey confirmationKey;
    private final String confirmationAlgorithm;
    private final byte[] payload;

    private ParsedWitSvid(WitJose.Parts parts, String kid, SpiffeId spiffeId, String issuer, Instant expiresAt,
                          Instant notBefore, String jti, VerificationKey confirmationKey, String confirmationAlgorithm) {
        this.token = parts.token();
        this.algorithm = parts.alg();
        this.payload = parts.payload();
        this.kid = kid;
        this.spiffeId = spiffeId;
        this.issuer = issuer;
        this.expiresAt = expiresAt;
        this.notBefore = notBefore;
        this.jti = jti;
        this.confirmationKey = confirmationKey;
        this.confirmationAlgorithm = confirmationAlgorithm;
    }

    /**
     * @throws SvidRejectedException malformed, bad_header, bad_alg, bad_signature (no signature) or bad_spiffe_id
     */
    public static ParsedWitSvid parse(String token) throws SvidRejectedException {
        return parse(token, null);
    }

    /**
     * {@link #parse(String)}, with the {@code cnf} key's ECDSA signatures checked by
     * {@code ecdsaProvider} (null: the JDK's default), in that provider's own key form
     * ({@link VerificationKey#of(JWK, java.security.Provider)}), as the bundle's keys are.
     */
    public static ParsedWitSvid parse(String token, java.security.Provider ecdsaProvider) throws SvidRejectedException {
        WitJose.Parts parts = WitJose.parse(token, WHAT, TYP, Reason.BAD_HEADER);
        JsonNode kidNode = parts.header().get("kid");
        if (kidNode == null || !kidNode.isTextual() || kidNode.textValue().isEmpty()) {
            throw new SvidRejectedException(Reason.BAD_HEADER, "WIT-SVID header has no 'kid'; a WIT-SVID must name its key (WIT-SVID spec section 2.1)");
        }
        if (kidNode.textValue().length() > ParsedJwtSvid.MAX_KID_LENGTH) {
            throw new SvidRejectedException(Reason.BAD_HEADER, "WIT-SVID header 'kid' is longer than " + ParsedJwtSvid.MAX_KID_LENGTH + " characters");
        }
        ObjectNode claims = parts.claims();
        JsonNode sub = claims.get("sub");
        if (sub == null || sub.isNull()) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID has no 'sub' claim");
        }
        if (!sub.isTextual()) {
            throw new SvidRejectedException(Reason.BAD_SPIFFE_ID, "WIT-SVID 'sub' claim is not a string");
        }
        SpiffeId id;
        try {
            id = SpiffeId.parse(sub.textValue());
        } catch (InvalidSpiffeIdException e) {
            throw new SvidRejectedException(Reason.BAD_SPIFFE_ID, "WIT-SVID 'sub' is not a valid SPIFFE ID: " + e.getMessage());
        }
        Instant exp = WitJose.numericDate(claims, "exp", WHAT, Reason.MALFORMED);
        if (exp == null) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID has no 'exp' claim (WIT-SVID spec section 3.4)");
        }
        if (claims.has("aud")) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    "WIT-SVID carries 'aud'; a WIT-SVID has no audience, its proof of possession names the recipient (WIT-SVID spec section 3.8)");
        }
        Instant nbf = WitJose.numericDate(claims, "nbf", WHAT, Reason.MALFORMED);
        WitJose.numericDate(claims, "iat", WHAT, Reason.MALFORMED);
        String iss = WitJose.string(claims, "iss", WHAT, Reason.MALFORMED);
        String jti = WitJose.string(claims, "jti", WHAT, Reason.MALFORMED);
        JsonNode jwkNode = confirmationJwk(claims);
        JsonNode algNode = jwkNode.get("alg");
        String cnfAlg;
        try {
            cnfAlg = WitJose.algorithm(jwkNode, "WIT-SVID cnf.jwk", Reason.MALFORMED);
        } catch (SvidRejectedException e) {
            throw algNode == null ? new SvidRejectedException(Reason.MALFORMED,
                    "WIT-SVID cnf.jwk has no 'alg'; it must name one of " + SvidPolicy.SUPPORTED_ALGORITHMS + " (WIT-SVID spec section 3.2)") : e;
        }
        VerificationKey key = confirmationKey(jwkNode, cnfAlg, ecdsaProvider);
        return new ParsedWitSvid(parts, kidNode.textValue(), id, iss, exp, nbf, jti, key, cnfAlg);
    }

    /**
     * Whether {@code token} declares itself a WIT-SVID ({@code typ} {@value #TYP}), from its header
     * alone, unverified: to recognise one presented where it must never be, the HTTP
     * {@code Authorization} header (WIT-SVID spec sections 5 and 7.1).
     */
    public static boolean declaresWit(String token) {
        if (token == null || token.length() > ParsedJwtSvid.MAX_ASSERTION_LENGTH) {
            return false;
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot > ParsedJwtSvid.MAX_HEADER_LENGTH) {
            return false;
        }
        try {
            JsonNode typ = StrictJose.readJson(StrictJose.decode(token.substring(0, dot))).get("typ");
            return typ != null && typ.isTextual() && TYP.equals(typ.textValue());
        } catch (SvidRejectedException e) {
            return false;
        }
    }

    private static JsonNode confirmationJwk(ObjectNode claims) throws SvidRejectedException {
        JsonNode cnf = claims.get("cnf");
        if (cnf == null || cnf.isNull()) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    "WIT-SVID has no 'cnf' claim; a WIT-SVID binds the workload's public key (WIT-SVID spec section 3.2)");
        }
        JsonNode jwk = cnf.get("jwk");
        if (!cnf.isObject() || jwk == null || !jwk.isObject()) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID 'cnf' claim has no 'jwk' object (RFC 7800 section 3.2)");
        }
        for (String member : PRIVATE_MEMBERS) {
            if (jwk.has(member)) {
                throw new SvidRejectedException(Reason.MALFORMED,
                        "WIT-SVID cnf.jwk contains private or symmetric key material ('" + member + "'); it must be a public key");
            }
        }
        return jwk;
    }

    /** The public key of {@code cnf.jwk}: EC P-256/384/521 or RSA within the key limits, fit for {@code alg}. */
    private static VerificationKey confirmationKey(JsonNode jwkNode, String alg, java.security.Provider ecdsaProvider)
            throws SvidRejectedException {
        VerificationKey key;
        try {
            JWK jwk = JWK.parse(jwkNode.toString());
            if (jwk.isPrivate()) {
                throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID cnf.jwk contains private key material; it must be a public key");
            }
            key = VerificationKey.of(jwk, ecdsaProvider);
        } catch (ParseException | RuntimeException e) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID cnf.jwk is not a valid JWK");
        } catch (KeySourceException e) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID cnf.jwk is not an accepted public key: "
                    + e.getMessage().replace("key 'null' ", "the key "));
        }
        if (!key.canVerify(alg)) {
            throw new SvidRejectedException(Reason.MALFORMED, "WIT-SVID cnf.jwk cannot verify " + alg
                    + " signatures (key type or curve differ from its alg)");
        }
        return key;
    }

    /** The compact serialization as received. */
    public String token() {
        return token;
    }

    public String algorithm() {
        return algorithm;
    }

    /** The header kid: always present. */
    public String kid() {
        return kid;
    }

    public SpiffeId spiffeId() {
        return spiffeId;
    }

    /** The iss claim, or null (optional in a WIT-SVID). */
    public String issuer() {
        return issuer;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    /** nbf, or null. */
    public Instant notBefore() {
        return notBefore;
    }

    /** jti, or null: for audit only, never for replay detection (WIT-SVID spec section 3.3). */
    public String jti() {
        return jti;
    }

    /** The workload's public key from {@code cnf.jwk}, which must sign the proof of possession. */
    public VerificationKey confirmationKey() {
        return confirmationKey;
    }

    /** {@code cnf.jwk.alg}: the one algorithm the proof of possession may use. */
    public String confirmationAlgorithm() {
        return confirmationAlgorithm;
    }

    /** The RFC 7638 SHA-256 thumbprint of the {@code cnf} key, base64url. */
    public String confirmationThumbprint() {
        try {
            return confirmationKey.jwk().computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("SHA-256 is required by every JRE", e);
        }
    }

    /** Every claim as received (the payload's JSON text). */
    public String claimsJson() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "WIT-SVID{sub=" + spiffeId + ", kid=" + kid + ", alg=" + algorithm + "}";
    }
}
