package dev.svidauth.docker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the subset of HCL (v1) that SPIRE's and spiffe-helper's configuration files use:
 * {@code key = value} with strings, numbers, booleans, lists and inline objects, and blocks
 * {@code name { ... }} or {@code name "label" { ... }} (a labelled block becomes
 * {@code name -> label -> body}). Comments: {@code #}, {@code //}, {@code /* ... *}{@code /}.
 * Numbers are kept as the text written (so {@code 0444} stays {@code "0444"}).
 */
final class Hcl {

    private final String text;
    private int pos;

    private Hcl(String text) {
        this.text = text;
    }

    static Map<String, Object> parse(String text) {
        Hcl p = new Hcl(text);
        Map<String, Object> body = p.body(false);
        p.skipSpace();
        if (p.pos != p.text.length()) {
            throw p.error("unexpected input");
        }
        return body;
    }

    /** The value at a path of keys through nested maps, or null. */
    @SuppressWarnings("unchecked")
    static Object get(Map<String, Object> root, String... path) {
        Object node = root;
        for (String key : path) {
            if (!(node instanceof Map)) {
                return null;
            }
            node = ((Map<String, Object>) node).get(key);
        }
        return node;
    }

    static String string(Map<String, Object> root, String... path) {
        Object value = get(root, path);
        return value == null ? null : value.toString();
    }

    private Map<String, Object> body(boolean inBlock) {
        Map<String, Object> map = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                if (inBlock) {
                    throw error("missing }");
                }
                return map;
            }
            char c = text.charAt(pos);
            if (c == '}') {
                if (!inBlock) {
                    throw error("unbalanced }");
                }
                pos++;
                return map;
            }
            String name = c == '"' ? quoted() : identifier();
            skipSpace();
            if (peek('=')) {
                pos++;
                map.put(name, value());
                continue;
            }
            List<String> labels = new ArrayList<>();
            while (peek('"')) {
                labels.add(quoted());
                skipSpace();
            }
            expect('{');
            Map<String, Object> block = body(true);
            Map<String, Object> target = map;
            String key = name;
            for (String label : labels) {
                @SuppressWarnings("unchecked")
                Map<String, Object> next = (Map<String, Object>) target.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
                target = next;
                key = label;
            }
            target.put(key, block);
        }
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("missing value");
        }
        char c = text.charAt(pos);
        if (c == '"') {
            return quoted();
        }
        if (c == '[') {
            pos++;
            List<Object> list = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek(']')) {
                    pos++;
                    return list;
                }
                list.add(value());
                skipSpace();
                if (peek(',')) {
                    pos++;
                }
            }
        }
        if (c == '{') {
            pos++;
            Map<String, Object> object = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek('}')) {
                    pos++;
                    return object;
                }
                String key = peek('"') ? quoted() : identifier();
                skipSpace();
                expect('=');
                object.put(key, value());
                skipSpace();
                if (peek(',')) {
                    pos++;
                }
            }
        }
        String word = identifier();
        if (word.equals("true") || word.equals("false")) {
            return Boolean.valueOf(word);
        }
        return word;
    }

    private String identifier() {
        int start = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.') {
                pos++;
            } else {
                break;
            }
        }
        if (start == pos) {
            throw error("expected a name or value");
        }
        return text.substring(start, pos);
    }

    private String quoted() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\' && pos < text.length()) {
                char e = text.charAt(pos++);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> e;
                });
            } else {
                sb.append(c);
            }
        }
        throw error("unterminated string");
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#' || text.startsWith("//", pos)) {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw error("unterminated comment");
                }
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void expect(char c) {
        skipSpace();
        if (!peek(c)) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(String message) {
        int line = 1;
        for (int i = 0; i < Math.min(pos, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return new IllegalArgumentException("HCL: " + message + " at line " + line);
    }
}
