package dev.svidauth.spire;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small JSON writer that reproduces the byte layout of Go's {@code encoding/json}, which SPIRE
 * uses for every document it serves and for the JWT-SVID header and payload.
 *
 * <p>The caller decides member order: a {@link java.util.LinkedHashMap} plays the part of a Go
 * struct (fields in declaration order), a {@link TreeMap} the part of a Go map (keys sorted).
 * {@link #sortedDeep(Object)} turns arbitrary caller-supplied claim values into the latter, as Go
 * does for the {@code map[string]any} claims of a JWT-SVID.
 *
 * <p>Strings are escaped the way Go escapes them: {@code <}, {@code >} and {@code &} become
 * six-character unicode escapes (backslash, {@code u003c} and so on), as do U+2028, U+2029 and the
 * control characters other than newline, carriage return and tab, which get their short forms;
 * hex digits are lower case.
 */
final class GoJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJson() {
    }

    /** Compact form, like {@code json.Marshal}. */
    static String marshal(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(out, value, null, "");
        return out.toString();
    }

    /** Indented form, like {@code json.MarshalIndent(v, "", indent)}; no trailing newline. */
    static String marshalIndent(Object value, String indent) {
        StringBuilder out = new StringBuilder(512);
        write(out, value, indent, "");
        return out.toString();
    }

    /** Copies maps (recursively, also inside lists) into key-sorted maps, as Go orders map keys. */
    static Object sortedDeep(Object value) {
        if (value instanceof Map<?, ?> map) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sorted.put(String.valueOf(e.getKey()), sortedDeep(e.getValue()));
            }
            return sorted;
        }
        if (value instanceof Collection<?> list) {
            return list.stream().map(GoJson::sortedDeep).toList();
        }
        if (value instanceof Object[] array) {
            return java.util.Arrays.stream(array).map(GoJson::sortedDeep).toList();
        }
        return value;
    }

    private static void write(StringBuilder out, Object value, String indent, String prefix) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence s) {
            quote(out, s.toString());
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Number n) {
            number(out, n);
        } else if (value instanceof Map<?, ?> map) {
            object(out, map, indent, prefix);
        } else if (value instanceof Collection<?> list) {
            array(out, list, indent, prefix);
        } else if (value instanceof Object[] array) {
            array(out, java.util.Arrays.asList(array), indent, prefix);
        } else {
            quote(out, value.toString());
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map, String indent, String prefix) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        String inner = indent == null ? "" : prefix + indent;
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            if (indent != null) {
                out.append('\n').append(inner);
            }
            quote(out, String.valueOf(e.getKey()));
            out.append(indent == null ? ":" : ": ");
            write(out, e.getValue(), indent, inner);
        }
        if (indent != null) {
            out.append('\n').append(prefix);
        }
        out.append('}');
    }

    private static void array(StringBuilder out, Collection<?> list, String indent, String prefix) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        String inner = indent == null ? "" : prefix + indent;
        out.append('[');
        boolean first = true;
        for (Object item : list) {
            if (!first) {
                out.append(',');
            }
            first = false;
            if (indent != null) {
                out.append('\n').append(inner);
            }
            write(out, item, indent, inner);
        }
        if (indent != null) {
            out.append('\n').append(prefix);
        }
        out.append(']');
    }

    private static void number(StringBuilder out, Number n) {
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger) {
            out.append(n);
            return;
        }
        double d = n.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("JSON cannot represent " + d);
        }
        BigDecimal exact = new BigDecimal(n.toString());
        if (d == Math.rint(d) && Math.abs(d) < 1e21) {
            out.append(exact.toBigInteger());
        } else {
            out.append(exact.stripTrailingZeros().toPlainString());
        }
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        out.append("\\u")
                                .append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
