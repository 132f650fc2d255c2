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
 * Keeps key-source fetches away from link-local and cloud-metadata addresses (SSRF guard), and,
 * when an allowlist is configured, on the hosts it names.
 *
 * <p>A client's {@code svid.jwks.uri} (or {@code svid.issuer}, when it is used for OIDC discovery)
 * makes Keycloak send a GET to an address chosen by whoever may edit clients, and a discovery
 * document makes it GET whatever {@code jwks_uri} it names. On cloud hosts the instance metadata
 * service answers such GETs with credentials and instance details. So a key-source URL is refused
 * when its host
 * <ul>
 *   <li>is one of the metadata host names ({@link #METADATA_HOST_NAMES}), or</li>
 *   <li>is, or resolves to, an address in {@code 169.254.0.0/16} (IPv4 link-local, including
 *       {@code 169.254.169.254}, the metadata service of AWS, Azure, GCP, Oracle, OpenStack and
 *       most others), {@code fe80::/10} (IPv6 link-local), {@code 0.0.0.0/8} or {@code ::}
 *       (unspecified: connecting there reaches the local host), or is one of the cloud metadata
 *       addresses outside those ranges: {@code fd00:ec2::/32} (AWS's IPv6 instance services:
 *       metadata {@code fd00:ec2::254}, DNS, time, EKS pod identity), {@code fd20:ce::254} (GCP
 *       metadata over IPv6), {@code 100.100.100.200} (Alibaba Cloud), {@code 168.63.129.16}
 *       (Azure WireServer, which hands out VM extension settings and certificates) and
 *       {@code 192.0.0.192} (Oracle Cloud's older metadata address); each also when written as an
 *       IPv4-mapped, IPv4-compatible or NAT64 ({@code 64:ff9b::/96}) IPv6 address, or in a numeric
 *       form such as {@code 2852039166}.</li>
 * </ul>
 * Loopback and private ranges stay allowed: SPIRE's OIDC Discovery Provider and bundle endpoint
 * often run on the same host or network (the realm's ssl-required setting still governs plain
 * http). This address guard is off when the server option {@code allow-link-local-key-sources}
 * is true.
 *
 * <p><b>Allowlist.</b> With {@code key-source-allowed-hosts} set, a key source's host must match
 * one of its patterns ({@link #hostAllowed}): an exact host name or IP address, or
 * {@code *.example.org} for any name below {@code example.org} (not {@code example.org} itself).
 * A multi-tenant realm names the only hosts its trust domains' key sources live on, so nobody who
 * may edit a client can make Keycloak fetch from anywhere else. The allowlist applies whether or
 * not the address guard is on.
 *
 * <p>The checks run when a client is saved ({@link #refusal(URI)}) and again before every fetch
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

    /** Name of the provider option that lists the only hosts key sources may use. */
    public static final String ALLOWED_HOSTS_OPTION = "key-source-allowed-hosts";

    /** Host names of cloud metadata services that may resolve only inside the cloud (GCP, AWS, Tencent Cloud). */
    static final Set<String> METADATA_HOST_NAMES = Set.of("metadata.google.internal", "metadata.goog",
            "instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com");

    /** Cloud metadata addresses outside the link-local range, IPv4 (Alibaba, Azure WireServer, Oracle). */
    private static final List<byte[]> METADATA_V4 = List.of(v6or4("100.100.100.200"), v6or4("168.63.129.16"),
            v6or4("192.0.0.192"));
    /** GCP's metadata server over IPv6. */
    private static final byte[] GCP_METADATA_V6 = v6or4("fd20:ce::254");

    private final boolean allowLinkLocal;
    private final Resolver resolver;
    private final List<String> allowedHosts;

    public KeySourceAddressGuard(boolean allowLinkLocal, Resolver resolver) {
        this(allowLinkLocal, resolver, List.of());
    }

    /**
     * @param allowedHosts when not empty, the only host patterns key sources may use ({@link #hostPatterns})
     */
    public KeySourceAddressGuard(boolean allowLinkLocal, Resolver resolver, List<String> allowedHosts) {
        this.allowLinkLocal = allowLinkLocal;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.allowedHosts = List.copyOf(allowedHosts);
    }

    /** The guard Keycloak uses: the system resolver, on unless the option allows link-local sources. */
    public static KeySourceAddressGuard system(boolean allowLinkLocal) {
        return new KeySourceAddressGuard(allowLinkLocal, SYSTEM);
    }

    /** As {@link #system(boolean)}, with an allowlist of host patterns (empty: none). */
    public static KeySourceAddressGuard system(boolean allowLinkLocal, List<String> allowedHosts) {
        return new KeySourceAddressGuard(allowLinkLocal, SYSTEM, allowedHosts);
    }

    /**
     * The patterns of a comma-separated {@value #ALLOWED_HOSTS_OPTION} value, trimmed, lower-cased,
     * without trailing dots or IPv6 brackets, blanks dropped.
     *
     * @throws IllegalArgumentException for a pattern that is not a host name, an IP address or
     *                                  {@code *.} followed by a host name (so a typo fails start-up
     *                                  rather than allowing nothing or everything)
     */
    public static List<String> hostPatterns(String option) {
        List<String> out = new java.util.ArrayList<>();
        if (option == null) {
            return out;
        }
        for (String raw : option.split(",")) {
            String p = normalizedHost(raw.trim());
            if (p.isEmpty()) {
                continue;
            }
            String name = p.startsWith("*.") ? p.substring(2) : p;
            if (name.isEmpty() || !name.chars().allMatch(c -> c == '.' || c == '-' || c == ':' || c == '_'
                    || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) || name.contains("*")) {
                throw new IllegalArgumentException(ALLOWED_HOSTS_OPTION + ": '" + raw.trim()
                        + "' is not a host name, an IP address or *.domain");
            }
            out.add(p);
        }
        return List.copyOf(out);
    }

    /** The allowlist, empty when there is none. */
    public List<String> allowedHosts() {
        return allowedHosts;
    }

    /**
     * Whether the allowlist lets key sources use {@code host} (always, without an allowlist): an
     * exact match, case-insensitive and ignoring a trailing dot, or a {@code *.domain} pattern
     * with at least one label in front of the domain.
     */
    public boolean hostAllowed(String host) {
        if (allowedHosts.isEmpty()) {
            return true;
        }
        if (host == null) {
            return false;
        }
        String h = normalizedHost(host);
        for (String p : allowedHosts) {
            if (p.startsWith("*.") ? h.endsWith(p.substring(1)) && h.length() > p.length() - 1 : h.equals(p)) {
                return true;
            }
        }
        return false;
    }

    private static String normalizedHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    public boolean allowsLinkLocal() {
        return allowLinkLocal;
    }

    /**
     * Save-time check: why {@code uri} may not be a key source, or null when it may. A host that
     * does not resolve (yet) is not refused here; the fetch-time check covers it.
     */
    public String refusal(URI uri) {
        if (uri == null || uri.getHost() == null) {
            return null;
        }
        if (!hostAllowed(uri.getHost())) {
            return notAllowed(uri);
        }
        if (allowLinkLocal) {
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
        String host = uri.getHost();
        if (host == null) {
            throw new KeySourceException("key source " + uri + " has no host");
        }
        if (!hostAllowed(host)) {
            throw new KeySourceException(notAllowed(uri));
        }
        if (allowLinkLocal) {
            return List.of();
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
            boolean awsInstanceServices = b[0] == (byte) 0xfd && b[1] == 0 && b[2] == (byte) 0x0e && b[3] == (byte) 0xc2;
            if (awsInstanceServices || Arrays.equals(b, GCP_METADATA_V6)) {
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
        for (byte[] metadata : METADATA_V4) {
            if (Arrays.equals(b, metadata)) {
                return "cloud metadata";
            }
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

    private String notAllowed(URI uri) {
        return "key source " + uri + " is refused: host '" + uri.getHost() + "' is not in the server option "
                + "spi-client-authenticator--client-svid-jwt--" + ALLOWED_HOSTS_OPTION + " (" + String.join(",", allowedHosts) + ")";
    }

    private static byte[] v6or4(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
