package dev.svidauth.spiffe;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A workload's SPIFFE ID, parsed strictly by the SPIFFE-ID specification
 * (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md).
 *
 * <p>Strictness is a security property here: the SPIFFE ID selects the Keycloak client, so two
 * strings that a lax parser would treat as the same identity (case variants, {@code %2F},
 * {@code .} segments, a port) must never both be accepted. Rules enforced:
 * <ul>
 *   <li>scheme exactly {@code spiffe://} (lower case);</li>
 *   <li>trust domain non-empty, only {@code [a-z0-9.-_]}: no upper case, port, userinfo;</li>
 *   <li>path non-empty (a bare trust domain ID names no workload), segments only
 *       {@code [a-zA-Z0-9.-_]}, none empty, {@code .} or {@code ..}, no trailing {@code /};</li>
 *   <li>no query, fragment or percent-encoding (all outside the allowed characters);</li>
 *   <li>at most 2048 bytes.</li>
 * </ul>
 */
public final class SpiffeId {

    /** Maximum length of a SPIFFE ID in bytes (SPIFFE-ID spec, section 2.3). */
    public static final int MAX_LENGTH = 2048;

    static final String SCHEME = "spiffe://";

    private final String trustDomain;
    private final String path;
    private final String value;

    private SpiffeId(String trustDomain, String path) {
        this.trustDomain = trustDomain;
        this.path = path;
        this.value = SCHEME + trustDomain + path;
    }

    /**
     * Parses a workload SPIFFE ID.
     *
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static SpiffeId parse(String text) throws InvalidSpiffeIdException {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new InvalidSpiffeIdException("SPIFFE ID is empty");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new InvalidSpiffeIdException("SPIFFE ID is longer than " + MAX_LENGTH + " bytes");
        }
        if (!text.startsWith(SCHEME)) {
            throw new InvalidSpiffeIdException("'" + abbreviate(text) + "' is not a SPIFFE ID: it must start with spiffe://");
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String td = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        checkTrustDomain(td, text);
        checkPath(path, text);
        if (path.isEmpty()) {
            throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(text)
                    + "' has no path: a trust domain ID does not name a workload");
        }
        return new SpiffeId(td, path);
    }

    /**
     * Checks a trust domain name on its own (as in {@code spiffe://<name>}) by the same rules as
     * the trust domain of a SPIFFE ID: not empty, only lower-case letters, digits, '.', '-' and '_'.
     *
     * @return the name, unchanged
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static String checkTrustDomainName(String name) throws InvalidSpiffeIdException {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new InvalidSpiffeIdException("trust domain name is empty");
        }
        if ((SCHEME + name).getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new InvalidSpiffeIdException("trust domain name is longer than " + (MAX_LENGTH - SCHEME.length()) + " bytes");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isTrustDomainChar(c)) {
                throw new InvalidSpiffeIdException("'" + abbreviate(name) + "' is not a trust domain name: " + describe(c)
                        + " is not allowed (only lower-case letters, digits, '.', '-' and '_';"
                        + " no scheme, port, path, user info or upper case)");
            }
        }
        return name;
    }

    static void checkTrustDomain(String td, String whole) throws InvalidSpiffeIdException {
        if (td.isEmpty()) {
            throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' has an empty trust domain");
        }
        for (int i = 0; i < td.length(); i++) {
            char c = td.charAt(i);
            if (!isTrustDomainChar(c)) {
                throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' has an invalid trust domain: "
                        + describe(c) + " is not allowed (only lower-case letters, digits, '.', '-' and '_';"
                        + " no port, user info or upper case)");
            }
        }
    }

    static void checkPath(String path, String whole) throws InvalidSpiffeIdException {
        if (path.isEmpty()) {
            return;
        }
        if (path.endsWith("/")) {
            throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' ends with '/'");
        }
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end);
            if (segment.isEmpty()) {
                throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' has an empty path segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' has a '" + segment + "' path segment");
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (!isPathChar(c)) {
                    throw new InvalidSpiffeIdException("SPIFFE ID '" + abbreviate(whole) + "' has an invalid path: "
                            + describe(c) + " is not allowed (only letters, digits, '.', '-' and '_';"
                            + " no query, fragment or percent-encoding)");
                }
            }
            start = end + 1;
        }
    }

    private static boolean isTrustDomainChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    }

    private static boolean isPathChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '_';
    }

    private static String describe(char c) {
        if (c < 0x20 || c > 0x7e) {
            return String.format("character U+%04X", (int) c);
        }
        return "'" + c + "'";
    }

    /** Keeps error messages (and the events that carry them) bounded for hostile input. */
    static String abbreviate(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), 130));
        int limit = Math.min(s.length(), 120);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (s.length() > limit) {
            out.append("...");
        }
        return out.toString();
    }

    /** The trust domain name, e.g. {@code example.org}. */
    public String trustDomain() {
        return trustDomain;
    }

    /** The path, starting with {@code /}, e.g. {@code /ns/apps/sa/payments}. */
    public String path() {
        return path;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpiffeId && ((SpiffeId) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** The SPIFFE ID as a URI string, e.g. {@code spiffe://example.org/ns/apps/sa/payments}. */
    @Override
    public String toString() {
        return value;
    }
}
