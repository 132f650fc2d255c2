package dev.svidauth.svid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.rejection.SvidRejectedException;

/**
 * Looks into a compact JWS without verifying it, as strictly as {@link ParsedJwtSvid#parse} decodes:
 * for deciding whether an assertion is an SVID at all (step 1) and for showing an SVID in a
 * diagnosis. Nothing read here is trusted.
 */
public final class JwtSvidPeek {

    private JwtSvidPeek() {
    }

    /**
     * Reads {@code iss} and {@code sub} without any validation, to decide whether a
     * {@code jwt-bearer} assertion is an SVID at all. Returns null for anything unreadable;
     * either element may be null when the claim is absent or not a string.
     */
    public static String[] peekIssuerAndSubject(String token) {
        if (token == null || token.length() > ParsedJwtSvid.MAX_ASSERTION_LENGTH) {
            return null;
        }
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0) {
            return null;
        }
        try {
            JsonNode claims = StrictJose.readJson(StrictJose.decode(token.substring(first + 1, second)));
            JsonNode iss = claims.get("iss");
            JsonNode sub = claims.get("sub");
            return new String[]{iss != null && iss.isTextual() ? iss.textValue() : null,
                    sub != null && sub.isTextual() ? sub.textValue() : null};
        } catch (SvidRejectedException e) {
            return null;
        }
    }

    /**
     * The JOSE header ({@code part} 0) or the claims ({@code part} 1) of a compact JWS, decoded as
     * strictly as {@link ParsedJwtSvid#parse} decodes them, without any other check; null when the token is too
     * long, has no such part, or the part is not a base64url JSON object. Never reads the signature.
     */
    public static ObjectNode peekJson(String token, int part) {
        if (token == null || token.length() > ParsedJwtSvid.MAX_ASSERTION_LENGTH || part < 0 || part > 1) {
            return null;
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3 || (part == 0 && parts[0].length() > ParsedJwtSvid.MAX_HEADER_LENGTH)) {
            return null;
        }
        try {
            return StrictJose.readJson(StrictJose.decode(parts[part]));
        } catch (SvidRejectedException e) {
            return null;
        }
    }
}
