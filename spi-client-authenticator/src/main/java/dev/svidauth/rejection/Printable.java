package dev.svidauth.rejection;

/**
 * The sanitizer for values a rejection echoes back (error descriptions, events, log lines):
 * hostile input must not inject log lines or blow up the answer.
 */
public final class Printable {

    /** How many characters of a value are echoed. */
    static final int MAX_CHARS = 64;

    private Printable() {
    }

    /** At most 64 characters of {@code s}, control characters replaced by {@code ?}, {@code ...} when cut. */
    public static String printable(String s) {
        StringBuilder out = new StringBuilder();
        int limit = Math.min(s.length(), MAX_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return s.length() > limit ? out + "..." : out.toString();
    }
}
