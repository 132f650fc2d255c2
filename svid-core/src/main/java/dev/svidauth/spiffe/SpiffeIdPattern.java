package dev.svidauth.spiffe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One accepted value of a client's {@code svid.spiffe.id} setting: an exact SPIFFE ID, or a
 * segment-safe prefix written with a trailing {@code /*}.
 *
 * <p>{@code spiffe://td/a/*} matches {@code spiffe://td/a/b} and {@code spiffe://td/a/b/c}, but
 * never {@code spiffe://td/a} itself nor {@code spiffe://td/ab}: the prefix is compared on whole
 * path segments, so a workload cannot borrow a sibling's identity by choosing a name that merely
 * starts with the same characters. {@code spiffe://td/*} matches every workload of the trust domain.
 */
public final class SpiffeIdPattern {

    /** Separator between several values of one attribute, as Keycloak uses for multi-valued settings. */
    public static final String SEPARATOR = "##";

    private static final Pattern SEPARATOR_PATTERN = Pattern.compile(SEPARATOR, Pattern.LITERAL);

    private static final String WILDCARD = "/*";

    private final String trustDomain;
    /** Exact: the full path. Prefix: the path before {@code /*}, possibly empty. */
    private final String path;
    private final boolean prefix;

    private SpiffeIdPattern(String trustDomain, String path, boolean prefix) {
        this.trustDomain = trustDomain;
        this.path = path;
        this.prefix = prefix;
    }

    /** Parses one value. */
    public static SpiffeIdPattern parse(String text) throws InvalidSpiffeIdException {
        Objects.requireNonNull(text, "text");
        String trimmed = text.trim();
        if (trimmed.endsWith(WILDCARD)) {
            String base = trimmed.substring(0, trimmed.length() - WILDCARD.length());
            if (!base.startsWith(SpiffeId.SCHEME)) {
                throw new InvalidSpiffeIdException("'" + SpiffeId.abbreviate(trimmed) + "' is not a SPIFFE ID pattern: it must start with spiffe://");
            }
            String rest = base.substring(SpiffeId.SCHEME.length());
            int slash = rest.indexOf('/');
            String td = slash < 0 ? rest : rest.substring(0, slash);
            String path = slash < 0 ? "" : rest.substring(slash);
            SpiffeId.checkTrustDomain(td, trimmed);
            if (path.contains("*")) {
                throw new InvalidSpiffeIdException("SPIFFE ID pattern '" + SpiffeId.abbreviate(trimmed) + "' may only end with '/*'");
            }
            SpiffeId.checkPath(path, trimmed);
            return new SpiffeIdPattern(td, path, true);
        }
        if (trimmed.contains("*")) {
            throw new InvalidSpiffeIdException("SPIFFE ID pattern '" + SpiffeId.abbreviate(trimmed)
                    + "' has '*' in the middle: only a trailing '/*' (whole segments) is supported");
        }
        SpiffeId id = SpiffeId.parse(trimmed);
        return new SpiffeIdPattern(id.trustDomain(), id.path(), false);
    }

    /** Parses a {@code ##}-separated list; blank entries are ignored. */
    public static List<SpiffeIdPattern> parseList(String text) throws InvalidSpiffeIdException {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        List<SpiffeIdPattern> out = new ArrayList<>();
        for (String part : SEPARATOR_PATTERN.split(text, -1)) {
            if (!part.isBlank()) {
                out.add(parse(part));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Whether the SPIFFE ID is accepted by this value. */
    public boolean matches(SpiffeId id) {
        if (!trustDomain.equals(id.trustDomain())) {
            return false;
        }
        if (!prefix) {
            return path.equals(id.path());
        }
        String p = id.path();
        return p.length() > path.length() + 1 && p.startsWith(path) && p.charAt(path.length()) == '/';
    }

    public boolean isPrefix() {
        return prefix;
    }

    public String trustDomain() {
        return trustDomain;
    }

    /** Exact: the path; prefix: the path before {@code /*} (empty for a whole trust domain). */
    public String path() {
        return path;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SpiffeIdPattern)) {
            return false;
        }
        SpiffeIdPattern other = (SpiffeIdPattern) o;
        return prefix == other.prefix && trustDomain.equals(other.trustDomain) && path.equals(other.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(trustDomain, path, prefix);
    }

    @Override
    public String toString() {
        return SpiffeId.SCHEME + trustDomain + path + (prefix ? WILDCARD : "");
    }
}
