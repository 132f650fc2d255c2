package dev.svidauth.keys;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Keeps key-source fetches away from link-local and cloud-metadata addresses (SSRF guard).
 *
 * <p>A client's {@code svid.jwks.uri} (or {@code svid.issuer}, when it is used for OIDC discovery)
 * makes Keycloak send a GET to an address chosen by whoever may edit clients, and a discovery
 * document makes it GET whatever {@code jwks_uri} it names. On cloud hosts the instance metadata
 * service answers such GETs on a link-local address with credentials and instance details. So a
 * key-source URL is refused when its host
 * <ul>
 *   <li>is one of the metadata host names ({@code metadata.google.internal}, {@code metadata.goog}), or</li>
 *   <li>is, or resolves to, an address in {@code 169.254.0.0/16} (IPv4 link-local, including
 *       {@code 169.254.169.254}), {@code fe80::/10} (IPv6 link-local), {@code fd00:ec2::254} (the
 *       AWS metadata service over IPv6), {@code 0.0.0.0/8} or {@code ::} (unspecified: connecting
 *       there reaches the local host), also when written as an IPv4-mapped, IPv4-compatible or
 *       NAT64 ({@code 64:ff9b::/96}) IPv6 address, or in a numeric form such as {@code 2852039166}.</li>
 * </ul>
 * Loopback and private ranges stay allowed: SPIRE's OIDC Discovery Provider and bundle endpoint
 * often run on the same host or network (the realm's ssl-required setting still governs plain
 * http). The whole guard is off when the server option {@code allow-link-local-key-sources} is true.
 *
 * <p>The check runs when a client is saved ({@link #refusal(URI)}) and again before every fetch
 * ({@link #addressesFor(URI)}), whose answer the fetcher connects to, so a DNS answer that changes
 * between the check and the connection cannot redirect the fetch.
 */
public final class KeySourceAddressGuard {

    /** Name resolution, replaceable in tests. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** The JVM's resolver, the one Keycloak's HTTP client uses too. */
    public static final Resolver SYSTEM = InetAddress::getAllByName;

    /** Name of the provider option that turns the guard off. */
    public static final String ALLOW_OPTION = "allow-link-local-key-sources";

    /** Host names of cloud metadata services that may resolve only inside the cloud. */
    static final Set<String> METADATA_HOST_NAMES = Set.of("metadata.google.internal", "metadata.goog");

    private static final byte[] AWS_METADATA_V6 = v6("fd00:ec2::254");

    private final boolean allowLinkLocal;
    private final Resolver resolver;

    public KeySourceAddressGuard(boolean allowLinkLocal, Resolver resolver) {
        this.allowLinkLocal = allowLinkLocal;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /** The guard Keycloak uses: the system resolver, on unless the option allows link-local sources. */
    public static KeySourceAddressGuard system(boolean allowLinkLocal) {
        return new KeySourceAddressGuard(allowLinkLocal, SYSTEM);
    }

    public boolean allowsLinkLocal() {
        return allowLinkLocal;
    }

    /**
     * Save-time check: why {@code uri} may not be a key source, or null when it may. A host that
     * does not resolve (yet) is not refused here; the fetch-time check covers it.
     */
    public String refusal(URI uri) {
        if (allowLinkLocal || uri == null || uri.getHost() == null) {
            return null;
        }
        try {
            addressesFor(uri);
            return null;
        } catch (KeySourceException e) {
            return e.getMessage();
        }
    }

    /**
     * Fetch-time check.
     *
     * @return the addresses the fetch may connect to, all checked; empty when the guard is off or
     *         the host does not resolve here (the HTTP client then resolves it itself, e.g. through
     *         a proxy, and the name checks have passed)
     * @throws KeySourceException when the host is refused
     */
    public List<InetAddress> addressesFor(URI uri) throws KeySourceException {
        if (allowLinkLocal) {
            return List.of();
        }
        String host = uri.getHost();
        if (host == null) {
            throw new KeySourceException("key source " + uri + " has no host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            // IPv6 literal, possibly with a zone ("%25eth0"): classify the address itself.
            String literal = host.substring(1, host.length() - 1);
            int zone = literal.indexOf('%');
            InetAddress address = literal(zone < 0 ? literal : literal.substring(0, zone), uri);
            String kind = classify(address);
            if (kind != null) {
                throw refused(uri, host, address, kind);
            }
            return List.of(address);
        }
        String name = host.toLowerCase(Locale.ROOT);
        while (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (METADATA_HOST_NAMES.contains(name)) {
            throw new KeySourceException("key source " + uri + " is refused: '" + host
                    + "' is a cloud metadata service host name" + HINT);
        }
        InetAddress[] resolved;
        try {
            resolved = resolver.resolve(host);
        } catch (UnknownHostException e) {
            return List.of();
        }
        if (resolved == null || resolved.length == 0) {
            return List.of();
        }
        for (InetAddress address : resolved) {
            String kind = classify(address);
            if (kind != null) {
                throw refused(uri, host, address, kind);
            }
        }
        return List.copyOf(Arrays.asList(resolved));
    }

    /**
     * What kind of refused address this is ("link-local", "unspecified", "cloud metadata"), or
     * null when key sources may live there.
     */
    public static String classify(InetAddress address) {
        if (address instanceof Inet4Address) {
            return classifyV4(address.getAddress());
        }
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            if (address.isAnyLocalAddress()) {
                return "unspecified";
            }
            if (address.isLinkLocalAddress()) {
                return "link-local";
            }
            if (Arrays.equals(b, AWS_METADATA_V6)) {
                return "cloud metadata";
            }
            byte[] embedded = embeddedV4(b);
            if (embedded != null) {
                return classifyV4(embedded);
            }
        }
        return null;
    }

    private static String classifyV4(byte[] b) {
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if (first == 169 && second == 254) {
            return b[2] == (byte) 169 && b[3] == (byte) 254 ? "link-local (cloud metadata)" : "link-local";
        }
        if (first == 0) {
            return "unspecified";
        }
        return null;
    }

    /** The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
    private static byte[] embeddedV4(byte[] b) {
        boolean zeros80 = true;
        for (int i = 0; i < 10; i++) {
            zeros80 &= b[i] == 0;
        }
        boolean mapped = zeros80 && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean compatible = zeros80 && b[10] == 0 && b[11] == 0;
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (mapped || nat64 || (compatible && !(b[12] == 0 && b[13] == 0 && b[14] == 0))) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        return null;
    }

    private static final String HINT = "; key sources on link-local and cloud-metadata addresses are refused"
            + " unless the server option spi-client-authenticator--client-svid-jwt--" + ALLOW_OPTION + " is true";

    private static KeySourceException refused(URI uri, String host, InetAddress address, String kind) {
        String shown = address.getHostAddress();
        int zone = shown.indexOf('%');
        if (zone >= 0) {
            shown = shown.substring(0, zone);
        }
        boolean literal = host.replace("[", "").replace("]", "").equalsIgnoreCase(shown);
        return new KeySourceException("key source " + uri + " is refused: " + (literal
                ? "'" + host + "' is a " + kind + " address"
                : "'" + host + "' resolves to " + shown + ", a " + kind + " address") + HINT);
    }

    private static InetAddress literal(String text, URI uri) throws KeySourceException {
        if (text.isEmpty() || !text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            throw new KeySourceException("key source " + uri + " has an invalid IPv6 address");
        }
        try {
            return InetAddress.getByName(text); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new KeySourceException("key source " + uri + " has an invalid IPv6 address");
        }
    }

    private static byte[] v6(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
