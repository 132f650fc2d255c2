package dev.svidauth.mapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.jboss.logging.Logger;
import org.keycloak.util.JsonSerialization;

/**
 * The value logic of {@link SvidClaimMapper}: which value, if any, a token claim gets from the
 * verified JWT-SVID. Pure: it sees the user-session notes only through a lookup function and
 * touches no Keycloak runtime object, so it can be tested on its own.
 *
 * <h2>Source</h2>
 * The source is a top-level SVID claim name, matched exactly and read from the
 * {@value SvidSessionNotes#CLAIMS} note (a JSON object of every verified claim), or one of the
 * synthetic names {@value #SOURCE_SPIFFE_ID} ({@value SvidSessionNotes#SUB}),
 * {@value #SOURCE_TRUST_DOMAIN} ({@value SvidSessionNotes#TRUST_DOMAIN}) and
 * {@value #SOURCE_SPIFFE_PATH} ({@value SvidSessionNotes#PATH}). A synthetic name wins over an
 * SVID claim of the same name.
 *
 * <h2>Result</h2>
 * <ul>
 * <li>No {@value SvidSessionNotes#SUB} note (the token was not obtained with an SVID): nothing.</li>
 * <li>Claim absent, or JSON {@code null}: nothing (never a null claim).</li>
 * <li>{@value SvidSessionNotes#CLAIMS} missing, not JSON or not a JSON object, for a source that
 *     is not synthetic: nothing, logged at debug; never an exception.</li>
 * <li>Otherwise the claim keeps its JSON shape: a string stays a {@link String}, an integral
 *     number a {@link Long} (a {@link java.math.BigInteger} beyond its range), any other number
 *     a {@link Double} (or {@link java.math.BigDecimal}), a boolean a {@link Boolean}, an array a
 *     {@link List}, an object a {@link Map} (nested values converted the same way).</li>
 * </ul>
 *
 * <h2>Match value</h2>
 * With a non-empty match value the result is the boolean {@code source == matchValue}: a string
 * compares as is, a number or boolean by its JSON text ({@code 42}, {@code 1.5}, {@code true}),
 * an array is {@code true} when any such element equals the match value, an object is never
 * equal. A source that is absent from an SVID gives {@code false}: the SVID is known and does
 * not carry the value. Only when the SVID's claims cannot be read at all is nothing emitted.
 *
 * <h2>JSON type</h2>
 * {@value #TYPE_JSON}, empty or an unknown name keep the shape above. The other types force a
 * type, element by element for an array (elements that cannot be converted are dropped):
 * <ul>
 * <li>{@value #TYPE_STRING}: strings as is, numbers and booleans as their JSON text, objects and
 *     nested arrays as compact JSON text.</li>
 * <li>{@value #TYPE_LONG} / {@value #TYPE_INT}: integral numbers (or whole-valued decimals) in
 *     range, and strings that parse as such; anything else is dropped.</li>
 * <li>{@value #TYPE_BOOLEAN}: booleans, and the strings {@code true}/{@code false} in any case;
 *     anything else is dropped.</li>
 * </ul>
 * A match result is always a boolean, rendered as {@code "true"}/{@code "false"} only when the
 * type is {@value #TYPE_STRING}.
 */
public final class SvidClaimValues {

    /** Synthetic source: the SPIFFE ID ({@value SvidSessionNotes#SUB}). */
    public static final String SOURCE_SPIFFE_ID = "spiffe_id";
    /** Synthetic source: the trust domain ({@value SvidSessionNotes#TRUST_DOMAIN}). */
    public static final String SOURCE_TRUST_DOMAIN = "trust_domain";
    /** Synthetic source: the SPIFFE ID path ({@value SvidSessionNotes#PATH}). */
    public static final String SOURCE_SPIFFE_PATH = "spiffe_path";

    /** JSON type: keep the SVID claim's own JSON type (the default). */
    public static final String TYPE_JSON = "JSON";
    /** JSON type: string. */
    public static final String TYPE_STRING = "String";
    /** JSON type: 64-bit integer. */
    public static final String TYPE_LONG = "long";
    /** JSON type: 32-bit integer. */
    public static final String TYPE_INT = "int";
    /** JSON type: boolean. */
    public static final String TYPE_BOOLEAN = "boolean";

    private static final Logger LOG = Logger.getLogger(SvidClaimValues.class);

    private SvidClaimValues() {
    }

    /**
     * Computes the value of the token claim.
     *
     * @param source     the configured source: an SVID claim name or a synthetic name
     * @param matchValue the configured match value; {@code null} or empty for none
     * @param jsonType   the configured JSON type; {@code null} or empty for {@value #TYPE_JSON}
     * @param notes      the user-session note lookup ({@code null} result for a missing note)
     * @return the value to put into the token, or empty when the token gets no claim
     */
    public static Optional<Object> resolve(String source, String matchValue, String jsonType,
                                           Function<String, String> notes) {
        if (notes == null || source == null || source.isBlank()) {
            return Optional.empty();
        }
        String sub = notes.apply(SvidSessionNotes.SUB);
        if (sub == null || sub.isEmpty()) {
            return Optional.empty();
        }
        JsonNode node = sourceNode(source, sub, notes);
        if (node == null) {
            return Optional.empty();
        }
        if (matchValue != null && !matchValue.isEmpty()) {
            boolean matched = matches(node, matchValue);
            return Optional.of(TYPE_STRING.equals(jsonType) ? (Object) Boolean.toString(matched) : (Object) matched);
        }
        return Optional.ofNullable(convert(node, jsonType));
    }

    /**
     * The source as a JSON node: {@link MissingNode} when the SVID is known not to carry it,
     * {@code null} when the SVID's claims cannot be read.
     */
    private static JsonNode sourceNode(String source, String sub, Function<String, String> notes) {
        switch (source) {
            case SOURCE_SPIFFE_ID:
                return TextNode.valueOf(sub);
            case SOURCE_TRUST_DOMAIN:
                return textOrMissing(notes.apply(SvidSessionNotes.TRUST_DOMAIN));
            case SOURCE_SPIFFE_PATH:
                return textOrMissing(notes.apply(SvidSessionNotes.PATH));
            default:
                JsonNode claims = parseClaims(notes.apply(SvidSessionNotes.CLAIMS));
                if (claims == null) {
                    return null;
                }
                JsonNode value = claims.get(source);
                return value == null ? MissingNode.getInstance() : value;
        }
    }

    private static JsonNode textOrMissing(String note) {
        return note == null ? MissingNode.getInstance() : TextNode.valueOf(note);
    }

    private static JsonNode parseClaims(String json) {
        if (json == null || json.isEmpty()) {
            LOG.debugf("User session note %s is missing; no SVID claim can be mapped", SvidSessionNotes.CLAIMS);
            return null;
        }
        JsonNode claims;
        try {
            claims = JsonSerialization.mapper.readTree(json);
        } catch (IOException | RuntimeException e) {
            LOG.debugf("User session note %s is not valid JSON (%s); no SVID claim mapped",
                    SvidSessionNotes.CLAIMS, e.getClass().getSimpleName());
            return null;
        }
        if (claims == null || !claims.isObject()) {
            LOG.debugf("User session note %s is not a JSON object; no SVID claim mapped", SvidSessionNotes.CLAIMS);
            return null;
        }
        return claims;
    }

    private static boolean matches(JsonNode node, String matchValue) {
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (scalarEquals(element, matchValue)) {
                    return true;
                }
            }
            return false;
        }
        return scalarEquals(node, matchValue);
    }

    private static boolean scalarEquals(JsonNode node, String matchValue) {
        if (node.isTextual()) {
            return matchValue.equals(node.textValue());
        }
        if (node.isNumber() || node.isBoolean()) {
            return matchValue.equals(node.asText());
        }
        return false;
    }

    /**
     * Converts a JSON value to the Java value a token claim gets under the given JSON type.
     *
     * @param node     the JSON value
     * @param jsonType the JSON type; {@code null}, empty, {@value #TYPE_JSON} or unknown keep the shape
     * @return the value, or {@code null} when it is JSON null, missing, or cannot be converted
     */
    static Object convert(JsonNode node, String jsonType) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!isForcedType(jsonType)) {
            return toJava(node);
        }
        if (node.isArray()) {
            List<Object> converted = new ArrayList<>(node.size());
            for (JsonNode element : node) {
                Object value = convertScalar(element, jsonType);
                if (value != null) {
                    converted.add(value);
                }
            }
            return converted;
        }
        return convertScalar(node, jsonType);
    }

    private static boolean isForcedType(String jsonType) {
        return TYPE_STRING.equals(jsonType) || TYPE_LONG.equals(jsonType) || TYPE_INT.equals(jsonType)
                || TYPE_BOOLEAN.equals(jsonType);
    }

    private static Object convertScalar(JsonNode node, String jsonType) {
        if (node.isNull() || node.isMissingNode()) {
            return null;
        }
        switch (jsonType) {
            case TYPE_STRING:
                if (node.isTextual()) {
                    return node.textValue();
                }
                if (node.isNumber() || node.isBoolean()) {
                    return node.asText();
                }
                return node.toString();
            case TYPE_LONG:
                if (node.isNumber()) {
                    return isWhole(node) && node.canConvertToLong() ? node.longValue() : null;
                }
                if (node.isTextual()) {
                    try {
                        return Long.valueOf(node.textValue());
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                return null;
            case TYPE_INT:
                if (node.isNumber()) {
                    return isWhole(node) && node.canConvertToInt() ? node.intValue() : null;
                }
                if (node.isTextual()) {
                    try {
                        return Integer.valueOf(node.textValue());
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                return null;
            case TYPE_BOOLEAN:
                if (node.isBoolean()) {
                    return node.booleanValue();
                }
                if (node.isTextual()) {
                    String text = node.textValue();
                    if ("true".equalsIgnoreCase(text)) {
                        return Boolean.TRUE;
                    }
                    if ("false".equalsIgnoreCase(text)) {
                        return Boolean.FALSE;
                    }
                }
                return null;
            default:
                return toJava(node);
        }
    }

    private static boolean isWhole(JsonNode number) {
        return number.isIntegralNumber() || number.canConvertToExactIntegral();
    }

    /** The JSON value in plain Java types, keeping its shape. */
    static Object toJava(JsonNode node) {
        switch (node.getNodeType()) {
            case STRING:
                return node.textValue();
            case BOOLEAN:
                return node.booleanValue();
            case NUMBER:
                if (node.isIntegralNumber()) {
                    return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.bigIntegerValue();
                }
                return node.isBigDecimal() ? (Object) node.decimalValue() : (Object) node.doubleValue();
            case ARRAY:
                List<Object> list = new ArrayList<>(node.size());
                for (JsonNode element : node) {
                    list.add(toJava(element));
                }
                return list;
            case OBJECT:
                Map<String, Object> map = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    map.put(field.getKey(), toJava(field.getValue()));
                }
                return map;
            case NULL:
            case MISSING:
                return null;
            default:
                return node.asText();
        }
    }
}
