package dev.svidauth.rejection;

/**
 * The one sanitizer for every value svid-auth writes where someone else reads it: messages,
 * {@code error_description}, event details, log lines, the diagnose endpoint's report, metric tags
 * and Server Info. Attacker-supplied text (an unsigned {@code iss}, a {@code kid}, a
 * {@code client_id}, what a key source answered, certificate fields) must neither inject a line
 * into a log nor bloat an event or an answer.
 *
 * <p>Every form escapes the same characters and cuts at a bound, marking the cut with
 * {@value #CUT_MARKER}; the result never exceeds the bound (for a quoted value: its characters,
 * then the marker) and never splits a surrogate pair. Escaped are the C0 controls, DEL, the C1 controls, the Unicode line and
 * paragraph separators and the bidirectional formatting characters (which reorder what a terminal
 * or a console shows): {@code \n}, {@code \r} and {@code \t} by those two-character sequences,
 * the others as {@code \}{@code uXXXX}. A backslash is left alone, so that sanitizing an already
 * sanitized text changes nothing: the escaping keeps logs safe, it is not meant to be reversed.
 */
public final class Printable {

    /** How a cut is marked. */
    public static final String CUT_MARKER = "...";

    /** At most this many characters of a value quoted inside a message ({@link #printable}), before the cut marker. */
    public static final int MAX_QUOTED_CHARS = 64;

    /**
     * At most this many characters of one value written on its own: an event detail, a log
     * argument, a metric tag ({@link #value}). Keycloak's event store keeps a client ID in a
     * column of this width.
     */
    public static final int MAX_VALUE_CHARS = 255;

    /** At most this many characters of a whole message: a rejection's detail in an event, a log line, a report ({@link #text}). */
    public static final int MAX_TEXT_CHARS = 1024;

    private Printable() {
    }

    /**
     * {@code s} to be quoted inside a message: escaped, at most {@value #MAX_QUOTED_CHARS} of its
     * characters, then the cut marker when cut.
     */
    public static String printable(String s) {
        return sanitize(s, MAX_QUOTED_CHARS + CUT_MARKER.length());
    }

    /** One value written on its own (event detail, log argument, metric tag): escaped, at most {@value #MAX_VALUE_CHARS} characters. */
    public static String value(String s) {
        return sanitize(s, MAX_VALUE_CHARS);
    }

    /** A whole message (a rejection's detail, an exception's text): escaped, at most {@value #MAX_TEXT_CHARS} characters. */
    public static String text(String s) {
        return sanitize(s, MAX_TEXT_CHARS);
    }

    /**
     * {@code s} escaped and cut to at most {@code max} characters, the cut marked by
     * {@value #CUT_MARKER}; null stays null.
     */
    public static String sanitize(String s, int max) {
        if (s == null) {
            return null;
        }
        if (max < CUT_MARKER.length() + 1) {
            throw new IllegalArgumentException("max must leave room for the cut marker: " + max);
        }
        if (s.length() <= max && clean(s)) {
            return s;
        }
        StringBuilder out = new StringBuilder(Math.min(max, s.length() + 16));
        int budget = max - CUT_MARKER.length();
        int i = 0;
        for (; i < s.length(); i++) {
            String piece = escape(s, i);
            boolean pair = piece == null && Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            int width = piece != null ? piece.length() : pair ? 2 : 1;
            if (out.length() + width > budget) {
                // does everything left still fit whole, without the marker?
                if (fitsWhole(s, i, max - out.length())) {
                    appendRest(out, s, i);
                    return out.toString();
                }
                return out.append(CUT_MARKER).toString();
            }
            if (piece != null) {
                out.append(piece);
            } else if (pair) {
                out.append(s, i, i + 2);
                i++;
            } else {
                out.append(s.charAt(i));
            }
        }
        return out.toString();
    }

    private static boolean fitsWhole(String s, int from, int room) {
        int width = 0;
        for (int i = from; i < s.length(); i++) {
            String piece = escape(s, i);
            width += piece != null ? piece.length() : 1;
            if (width > room) {
                return false;
            }
        }
        return true;
    }

    private static void appendRest(StringBuilder out, String s, int from) {
        for (int i = from; i < s.length(); i++) {
            String piece = escape(s, i);
            if (piece != null) {
                out.append(piece);
            } else {
                out.append(s.charAt(i));
            }
        }
    }

    private static boolean clean(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (escape(s, i) != null) {
                return false;
            }
        }
        return true;
    }

    /** The escape of the character at {@code i}, or null when it is written as it is. */
    private static String escape(String s, int i) {
        char c = s.charAt(i);
        switch (c) {
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            default:
                break;
        }
        boolean lone = Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f'
                || c == '\u061c' || lone) {
            return String.format("\\u%04x", (int) c);
        }
        return null;
    }
}
