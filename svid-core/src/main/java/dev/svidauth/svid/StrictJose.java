package dev.svidauth.svid;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;

import java.io.IOException;
import java.util.Base64;

/**
 * Strict decoding of the parts of a compact JWS for {@link ParsedJwtSvid}: canonical base64url only,
 * and JSON without duplicate member names, comments or trailing tokens, with bounded nesting.
 */
final class StrictJose {

    private static final ObjectMapper STRICT_JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(32)
                    .maxStringLength(ParsedJwtSvid.MAX_ASSERTION_LENGTH)
                    .maxNumberLength(64)
                    .build())
            .build())
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS);

    private StrictJose() {
    }

    static byte[] decode(String part) throws SvidRejectedException {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) {
                throw new SvidRejectedException(Reason.MALFORMED, "client_assertion is not base64url-encoded (RFC 7515 compact serialization)");
            }
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new SvidRejectedException(Reason.MALFORMED, "client_assertion is not base64url-encoded (RFC 7515 compact serialization)");
        }
        if (!canonical(part)) {
            throw new SvidRejectedException(Reason.MALFORMED,
                    "client_assertion is not canonically base64url-encoded: the unused bits of a part's last character are not zero");
        }
        return bytes;
    }

    /**
     * Whether the unused low bits of the last character are zero (RFC 4648 section 3.5). The JDK
     * decoder ignores them, so without this check up to 16 different strings decode to the same
     * signature: byte-different copies of one SVID that all verify, which would slip past replay
     * detection keyed on the token and make the same SVID look like a new one in logs.
     */
    private static boolean canonical(String part) {
        int rem = part.length() % 4;
        if (rem == 0) {
            return true;
        }
        char c = part.charAt(part.length() - 1);
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : 63;
        return (v & (rem == 2 ? 0x0F : 0x03)) == 0;
    }

    static ObjectNode readJson(byte[] bytes) throws SvidRejectedException {
        JsonNode node;
        try {
            node = STRICT_JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                    ? ": it has a duplicate member name" : "";
            throw new SvidRejectedException(Reason.MALFORMED, "SVID header or payload is not valid JSON" + why);
        } catch (IOException | RuntimeException e) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID header or payload is not valid JSON");
        }
        if (!(node instanceof ObjectNode)) {
            throw new SvidRejectedException(Reason.MALFORMED, "SVID header or payload is not a JSON object");
        }
        return (ObjectNode) node;
    }
}
