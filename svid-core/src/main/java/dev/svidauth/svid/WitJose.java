package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

import static dev.svidauth.rejection.Printable.printable;

/**
 * The compact-JWS rules the WIT-SVID and its proof of possession share with the JWT-SVID
 * ({@link ParsedJwtSvid}): size caps, three canonical base64url parts, strict JSON, a header of
 * {@code alg}, {@code kid} and {@code typ} only (so never {@code jku}, {@code x5u}, {@code jwk},
 * {@code x5c} or {@code crit}: keys come from the trust domain's bundle or the WIT's {@code cnf},
 * never from the token), an asymmetric {@code alg} of the SPIFFE list.
 */
final class WitJose {

    private static final Set<String> ALLOWED_HEADER_PARAMS = Set.of("alg", "kid", "typ");

    /** One compact JWS, decoded: header, claims, the raw token. */
    record Parts(String token, ObjectNode header, ObjectNode claims, byte[] payload, String alg) {
    }

    private WitJose() {
    }

    /**
     * @param what      "WIT-SVID" or "PoP", for the messages
     * @param typ       the exact {@code typ} required
     * @param rejection the reason of a missing or wrong {@code typ} and a foreign header member
     */
    static Parts parse(String token, String what, String typ, Reason rejection) throws SvidRejectedException {
        if (token == null || token.isEmpty()) {
            throw new SvidRejectedException(Reason.MALFORMED, what + " is empty");
        }
        if (token.length() > ParsedJwtSvid.MAX_ASSERTION_LENGTH) {
            throw new SvidRejectedException(Reason.MALFORMED, what + " is " + token.length()
                    + " characters long; at most " + ParsedJwtSvid.MAX_ASSERTION_LENGTH + " are accepted");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    what + " is not a compact JWS (expected 3 dot-separated parts, got " + parts.length + ")");
        }
        if (parts[0].length() > ParsedJwtSvid.MAX_HEADER_LENGTH) {
            throw new SvidRejectedException(rejection, what + " header is " + parts[0].length()
                    + " characters long; at most " + ParsedJwtSvid.MAX_HEADER_LENGTH + " are accepted");
        }
        ObjectNode header = StrictJose.readJson(StrictJose.decode(parts[0]));
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!ALLOWED_HEADER_PARAMS.contains(name)) {
                throw new SvidRejectedException(rejection, what + " header carries '" + printable(name)
                        + "'; only alg, kid and typ are accepted");
            }
        }
        JsonNode typNode = header.get("typ");
        if (typNode == null || !typNode.isTextual() || !typ.equals(typNode.textValue())) {
            throw new SvidRejectedException(rejection, what + " header 'typ' must be '" + typ + "', not "
                    + (typNode == null ? "absent" : typNode.isTextual() ? "'" + printable(typNode.textValue()) + "'" : "a "
                    + typNode.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        String alg = algorithm(header, what, rejection == Reason.BAD_POP ? Reason.BAD_POP : Reason.BAD_ALG);
        if (parts[2].isEmpty()) {
            throw new SvidRejectedException(rejection == Reason.BAD_POP ? Reason.BAD_POP : Reason.BAD_SIGNATURE, what + " has no signature");
        }
        StrictJose.decode(parts[2]);
        byte[] payload = StrictJose.decode(parts[1]);
        return new Parts(token, header, StrictJose.readJson(payload), payload, alg);
    }

    /** An asymmetric algorithm of the SPIFFE list (WIT-SVID spec section 2.3): never none, never HS*. */
    static String algorithm(JsonNode header, String what, Reason reason) throws SvidRejectedException {
        JsonNode algNode = header.get("alg");
        if (algNode == null || !algNode.isTextual()) {
            throw new SvidRejectedException(reason, what + " has no 'alg'");
        }
        String alg = algNode.textValue();
        if ("none".equalsIgnoreCase(alg)) {
            throw new SvidRejectedException(reason, what + " algorithm 'none' is never accepted: it must be signed");
        }
        if (alg.toUpperCase(Locale.ROOT).startsWith("HS")) {
            throw new SvidRejectedException(reason, what + " algorithm '" + printable(alg)
                    + "' is symmetric; only RS, PS and ES algorithms are accepted");
        }
        if (!SvidPolicy.SUPPORTED_ALGORITHMS.contains(alg)) {
            throw new SvidRejectedException(reason, what + " algorithm '" + printable(alg)
                    + "' is not supported; expected one of " + SvidPolicy.SUPPORTED_ALGORITHMS);
        }
        return alg;
    }

    /** A NumericDate claim, or null when absent. */
    static Instant numericDate(ObjectNode claims, String name, String what, Reason reason) throws SvidRejectedException {
        JsonNode v = claims.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new SvidRejectedException(reason, what + " '" + name + "' claim is not a number (RFC 7519 NumericDate)");
        }
        double seconds = v.asDouble();
        if (!(seconds >= 0) || seconds > 253402300799d) {
            throw new SvidRejectedException(reason, what + " '" + name + "' claim is out of range");
        }
        return Instant.ofEpochSecond((long) seconds);
    }

    /** A string claim, or null when absent. */
    static String string(ObjectNode claims, String name, String what, Reason reason) throws SvidRejectedException {
        JsonNode v = claims.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new SvidRejectedException(reason, what + " '" + name + "' claim is not a string");
        }
        return v.textValue();
    }

    /** Whether {@code key} verifies the compact JWS {@code token} signed with {@code alg}. */
    static boolean verifies(VerificationKey key, String token, String alg, String kid) {
        int dot = token.lastIndexOf('.');
        byte[] signingInput = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        Base64URL signature = new Base64URL(token.substring(dot + 1));
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.parse(alg)).keyID(kid).build();
        try {
            return key.verifier().verify(header, signingInput, signature);
        } catch (JOSEException | IllegalStateException e) {
            return false; // a malformed signature is just an invalid one
        }
    }
}
