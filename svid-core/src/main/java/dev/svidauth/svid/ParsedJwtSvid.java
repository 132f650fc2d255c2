package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static dev.svidauth.rejection.Printable.printable;

/**
 * A JWT-SVID after the offline checks of steps 2 and 3: well-formed compact JWS, a header limited
 * to {@code alg}/{@code kid}/{@code typ}, an asymmetric algorithm, and the claims every SVID must
 * carry ({@code sub} a valid SPIFFE ID, {@code exp}, {@code aud}). Nothing here touches the network
 * or Keycloak, so junk is refused before any client lookup or key fetch.
 *
 * <p>JSON is parsed strictly: duplicate member names are refused (RFC 7515 section 5.2 and
 * RFC 7519 section 7.2 require rejecting or taking the last; two parsers disagreeing on which
 * duplicate wins is a classic signature-bypass, so we refuse), nesting depth is bounded.
 */
public final class ParsedJwtSvid {

    /** Largest client_assertion accepted, in characters. SPIRE SVIDs are well under 2 KiB. */
    public static final int MAX_ASSERTION_LENGTH = 16 * 1024;
    /** Largest encoded JOSE header accepted. A legitimate SVID header is about 100 bytes. */
    public static final int MAX_HEADER_LENGTH = 1024;
    /** Longest kid accepted; SPIRE uses 32 characters. */
    public static final int MAX_KID_LENGTH = 256;

    private static final Set<String> ALLOWED_HEADER_PARAMS = Set.of("alg", "kid", "typ");

    private final String token;
    private final String algorithm;
    private final String kid;
    private final SpiffeId spiffeId;
    private final String issuer;
    private final List<String> audience;
    private final Instant expiresAt;
    private final Instant notBefore;
    private final Instant issuedAt;
    private final String jti;
    /** The payload as received (base64url-decoded UTF-8 JSON), which {@link #claimsJson} hands on without serializing again. */
    private final String claimsJson;

    private ParsedJwtSvid(String token, String algorithm, String kid, SpiffeId spiffeId, String issuer,
                          List<String> audience, Instant expiresAt, Instant notBefore, Instant issuedAt,
                          String jti, String claimsJson) {
        this.token = token;
        this.algorithm = algorithm;
        this.kid = kid;
        this.spiffeId = spiffeId;
        this.issuer = issuer;
        this.audience = audience;
        this.expiresAt = expiresAt;
        this.notBefore = notBefore;
        this.issuedAt = issuedAt;
        this.jti = jti;
        this.claimsJson = claimsJson;
    }

    /**
     * Steps 2 and 3 of the request flow.
     *
     * @throws SvidRejectedException with reason malformed, bad_header, bad_alg or bad_spiffe_id
     */
    public static ParsedJwtSvid parse(String token) throws SvidRejectedException {
        if (token == null || token.isEmpty()) {
            throw new SvidRejectedException(Reason.MALFORMED, "client_assertion is empty");
        }
        if (token.length() > MAX_ASSERTION_LENGTH) {
            throw new SvidRejectedException(Reason.MALFORMED, "client_assertion is " + token.length()
                    + " characters long; at most " + MAX_ASSERTION_LENGTH + " are accepted");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length == 5) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    "client_assertion is an encrypted JWT (JWE); a JWT-SVID is a signed JWT (JWS)");
        }
        if (parts.length != 3) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    "client_assertion is not a compact JWS (expected 3 dot-separated parts, got " + parts.length + ")");
        }
        if (parts[0].length() > MAX_HEADER_LENGTH) {
            throw new SvidRejectedException(Reason.BAD_HEADER, "SVID header is " + parts[0].length()
                    + " characters long; at most " + MAX_HEADER_LENGTH + " are accepted");
        }
        JsonNode header = StrictJose.readJson(StrictJose.decode(parts[0]));
        String alg = checkHeader(header);
        if (parts[2].isEmpty()) {
            throw new SvidRejectedException(Reason.BAD_SIGNATURE, "SVID has no signature");
        }
        StrictJose.decode(parts[2]);

        byte[] payload = StrictJose.decode(parts[1]);
        ObjectNode claims = StrictJose.readJson(payload);
        JsonNode sub = claims.get("sub");
        if (sub == null || sub.isNull()) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID has no 'sub' claim");
        }
        if (!sub.isTextual()) {
            throw new SvidRejectedException(Reason.BAD_SPIFFE_ID, "SVID 'sub' claim is not a string");
        }
        SpiffeId spiffeId;
        try {
            spiffeId = SpiffeId.parse(sub.textValue());
        } catch (InvalidSpiffeIdException e) {
            throw new SvidRejectedException(Reason.BAD_SPIFFE_ID, "SVID 'sub' is not a valid SPIFFE ID: " + e.getMessage());
        }
        Instant exp = numericDate(claims, "exp");
        if (exp == null) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID has no 'exp' claim");
        }
        List<String> aud = audience(claims);
        String iss = optionalString(claims, "iss");
        String jti = optionalString(claims, "jti");
        JsonNode kidNode = header.get("kid");
        return new ParsedJwtSvid(token, alg, kidNode == null ? null : kidNode.textValue(), spiffeId, iss, aud, exp,
                numericDate(claims, "nbf"), numericDate(claims, "iat"), jti, new String(payload, StandardCharsets.UTF_8));
    }

    private static String checkHeader(JsonNode header) throws SvidRejectedException {
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!ALLOWED_HEADER_PARAMS.contains(name)) {
                throw new SvidRejectedException(Reason.BAD_HEADER, "SVID header carries '" + printable(name)
                        + "'; only alg, kid and typ are accepted (JWT-SVID spec section 2)");
            }
        }
        JsonNode algNode = header.get("alg");
        if (algNode == null || !algNode.isTextual()) {
            throw new SvidRejectedException(Reason.BAD_ALG, "SVID header has no 'alg'");
        }
        String alg = algNode.textValue();
        if ("none".equalsIgnoreCase(alg)) {
            throw new SvidRejectedException(Reason.BAD_ALG, "SVID algorithm 'none' is never accepted: an SVID must be signed");
        }
        if (alg.toUpperCase(Locale.ROOT).startsWith("HS")) {
            throw new SvidRejectedException(Reason.BAD_ALG, "SVID algorithm '" + printable(alg)
                    + "' is symmetric; JWT-SVIDs are signed with RS, PS or ES algorithms");
        }
        if (!SvidPolicy.SUPPORTED_ALGORITHMS.contains(alg)) {
            throw new SvidRejectedException(Reason.BAD_ALG, "SVID algorithm '" + printable(alg)
                    + "' is not supported; expected one of " + SvidPolicy.SUPPORTED_ALGORITHMS);
        }
        JsonNode typ = header.get("typ");
        if (typ != null) {
            String t = typ.isTextual() ? typ.textValue().toUpperCase(Locale.ROOT) : "";
            if (!t.equals("JWT") && !t.equals("JOSE")) {
                throw new SvidRejectedException(Reason.BAD_HEADER, "SVID header 'typ' must be JWT or JOSE, not "
                        + (typ.isTextual() ? "'" + printable(typ.textValue()) + "'" : typ.getNodeType().toString().toLowerCase(Locale.ROOT)));
            }
        }
        JsonNode kid = header.get("kid");
        if (kid != null) {
            if (!kid.isTextual() || kid.textValue().isEmpty()) {
                throw new SvidRejectedException(Reason.BAD_HEADER, "SVID header 'kid' must be a non-empty string");
            }
            if (kid.textValue().length() > MAX_KID_LENGTH) {
                throw new SvidRejectedException(Reason.BAD_HEADER, "SVID header 'kid' is longer than " + MAX_KID_LENGTH + " characters");
            }
        }
        return alg;
    }

    private static List<String> audience(ObjectNode claims) throws SvidRejectedException {
        JsonNode aud = claims.get("aud");
        if (aud == null || aud.isNull()) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID has no 'aud' claim");
        }
        if (aud.isTextual()) {
            return List.of(aud.textValue());
        }
        if (!aud.isArray() || aud.isEmpty()) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID 'aud' claim must be a string or a non-empty array of strings");
        }
        List<String> out = new ArrayList<>(aud.size());
        for (JsonNode v : aud) {
            if (!v.isTextual()) {
                throw new SvidRejectedException(Reason.MALFORMED, "SVID 'aud' claim must contain only strings");
            }
            out.add(v.textValue());
        }
        return Collections.unmodifiableList(out);
    }

    private static String optionalString(ObjectNode claims, String name) throws SvidRejectedException {
        JsonNode v = claims.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID '" + name + "' claim is not a string");
        }
        return v.textValue();
    }

    private static Instant numericDate(ObjectNode claims, String name) throws SvidRejectedException {
        JsonNode v = claims.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID '" + name + "' claim is not a number (RFC 7519 NumericDate)");
        }
        double seconds = v.asDouble();
        if (!(seconds >= 0) || seconds > 253402300799d) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID '" + name + "' claim is out of range");
        }
        return Instant.ofEpochSecond((long) seconds);
    }

    /** The compact serialization as received. */
    public String token() {
        return token;
    }

    public String algorithm() {
        return algorithm;
    }

    /** The header kid, or null. */
    public String kid() {
        return kid;
    }

    public SpiffeId spiffeId() {
        return spiffeId;
    }

    /** The iss claim, or null. */
    public String issuer() {
        return issuer;
    }

    /** The aud claim as a list (a single string becomes one element). */
    public List<String> audience() {
        return audience;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    /** nbf, or null. */
    public Instant notBefore() {
        return notBefore;
    }

    /** iat, or null. */
    public Instant issuedAt() {
        return issuedAt;
    }

    /** jti, or null. */
    public String jti() {
        return jti;
    }

    /**
     * Every claim as received: the payload's JSON text itself (checked by the strict parser: UTF-8,
     * one object, no duplicate members), not serialized again from the parsed claims.
     */
    public String claimsJson() {
        return claimsJson;
    }

    @Override
    public String toString() {
        return "SVID{sub=" + spiffeId + ", iss=" + issuer + ", kid=" + kid + ", alg=" + algorithm + "}";
    }

}
