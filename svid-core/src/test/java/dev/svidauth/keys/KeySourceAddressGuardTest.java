package dev.svidauth.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeySourceAddressGuardTest {

    /** A fake DNS: names map to addresses, anything else is unknown. */
    private static KeySourceAddressGuard.Resolver dns(Map<String, String[]> names) {
        return host -> {
            String[] found = names.get(host);
            if (found == null) {
                // literals resolve without DNS, like InetAddress does
                if (host.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == ':')) {
                    return InetAddress.getAllByName(host);
                }
                throw new UnknownHostException(host);
            }
            InetAddress[] out = new InetAddress[found.length];
            for (int i = 0; i < found.length; i++) {
                out[i] = InetAddress.getByAddress(host, InetAddress.getByName(found[i]).getAddress());
            }
            return out;
        };
    }

    private static final KeySourceAddressGuard GUARD = new KeySourceAddressGuard(false, dns(Map.of(
            "imds.attacker.example", new String[]{"169.254.169.254"},
            "mixed.attacker.example", new String[]{"10.0.0.7", "169.254.10.1"},
            "v6imds.attacker.example", new String[]{"fd00:ec2::254"},
            "spire.internal", new String[]{"10.1.2.3", "fd12:3456::1"},
            "localhost", new String[]{"127.0.0.1", "::1"})));

    @ParameterizedTest
    @ValueSource(strings = {
            "169.254.169.254", "169.254.0.1", "169.254.255.255", "fe80::1", "febf:ffff::1", "fd00:ec2::254",
            "0.0.0.0", "0.1.2.3", "::", "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe",
            // cloud metadata addresses outside the link-local range, and AWS's IPv6 instance-services range
            "100.100.100.200", "168.63.129.16", "192.0.0.192", "fd20:ce::254", "fd00:ec2::253", "fd00:ec2::23",
            "::ffff:100.100.100.200", "64:ff9b::a83f:8110"})
    void refusedAddresses(String literal) throws Exception {
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName(literal))).as(literal).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "fd12:3456::1",
            "fec0::1", "100.64.0.1", "8.8.8.8", "2001:db8::1", "169.253.255.255", "169.255.0.1", "fec0::",
            "::ffff:10.0.0.1", "64:ff9b::808:808", "1.0.0.0", "100.100.100.201", "168.63.129.17", "192.0.0.193",
            "fd20:ce::253", "fd00:ec3::254"})
    void allowedAddresses(String literal) throws Exception {
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName(literal))).as(literal).isNull();
    }

    @Test
    void metadataAddressIsNamedAsSuch() throws Exception {
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName("169.254.169.254"))).contains("cloud metadata");
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName("fd00:ec2::254"))).isEqualTo("cloud metadata");
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName("fe80::a:b"))).isEqualTo("link-local");
        assertThat(KeySourceAddressGuard.classify(InetAddress.getByName("::"))).isEqualTo("unspecified");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://169.254.169.254/latest/meta-data/",
            "https://169.254.169.254:8443/keys",
            "http://[fe80::1]/keys",
            "http://[fe80::1%25eth0]:8080/keys",
            "http://[FD00:EC2::254]/keys",
            "http://[::ffff:169.254.169.254]/keys",
            "http://[::ffff:a9fe:a9fe]/keys",
            "http://0.0.0.0:8081/keys",
            "http://[::]/keys",
            "http://2852039166/keys",          // 169.254.169.254 as one number
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.Google.Internal./keys",
            "http://metadata.goog/keys",
            "http://imds.attacker.example/keys",
            "https://mixed.attacker.example/keys",
            "https://v6imds.attacker.example/keys"})
    void refusedUrls(String url) {
        URI uri = URI.create(url);
        assertThat(GUARD.refusal(uri)).as(url).isNotNull().contains(url).contains("allow-link-local-key-sources");
        assertThatThrownBy(() -> GUARD.addressesFor(uri)).isInstanceOf(KeySourceException.class)
                .hasMessageContaining("is refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1:8081/keys", "http://localhost:8081/keys", "http://[::1]:8081/keys",
            "https://10.0.0.5/keys", "https://192.168.0.10/bundle", "https://spire.internal/keys",
            "https://[fd12:3456::1]/keys", "https://oidc.example.org/keys"})
    void allowedUrls(String url) {
        assertThat(GUARD.refusal(URI.create(url))).as(url).isNull();
    }

    @Test
    void messagesSayWhetherTheHostIsOrResolvesToTheAddress() {
        assertThat(GUARD.refusal(URI.create("http://169.254.169.254/keys")))
                .contains("'169.254.169.254' is a link-local (cloud metadata) address");
        assertThat(GUARD.refusal(URI.create("http://imds.attacker.example/keys")))
                .contains("'imds.attacker.example' resolves to 169.254.169.254, a link-local (cloud metadata) address");
        assertThat(GUARD.refusal(URI.create("http://metadata.google.internal/keys")))
                .contains("cloud metadata service host name");
    }

    @Test
    void fetchConnectsOnlyToTheCheckedAddresses() throws Exception {
        List<InetAddress> addresses = GUARD.addressesFor(URI.create("https://spire.internal/keys"));
        assertThat(addresses).extracting(InetAddress::getHostAddress).containsExactly("10.1.2.3", "fd12:3456:0:0:0:0:0:1");
        assertThat(GUARD.addressesFor(URI.create("http://[::1]:8443/keys"))).extracting(InetAddress::getHostAddress)
                .containsExactly("0:0:0:0:0:0:0:1");
    }

    @Test
    void unresolvableNameIsLeftToTheHttpClientButMetadataNamesNever() throws Exception {
        assertThat(GUARD.refusal(URI.create("https://not-yet-in-dns.example/keys"))).isNull();
        assertThat(GUARD.addressesFor(URI.create("https://not-yet-in-dns.example/keys"))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"100.100.100.200", "168.63.129.16", "192.0.0.192", "[fd20:ce::254]", "[fd00:ec2::254]"})
    void cloudMetadataAddressesAreNamedAsSuch(String host) {
        assertThat(GUARD.refusal(URI.create("http://" + host + "/latest/meta-data/"))).as(host).contains("cloud metadata address");
    }

    @Test
    void metadataHostNamesOfTheOtherCloudsAreRefused() {
        for (String name : List.of("instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com", "METADATA.GOOG.")) {
            assertThat(GUARD.refusal(URI.create("http://" + name + "/keys"))).as(name).contains("cloud metadata service host name");
        }
    }

    private static KeySourceAddressGuard allowing(String option) {
        return new KeySourceAddressGuard(false, dns(Map.of("spire.example.org", new String[]{"10.1.2.3"},
                "oidc.tenant.example.org", new String[]{"10.1.2.4"}, "evil.test", new String[]{"10.9.9.9"})),
                KeySourceAddressGuard.hostPatterns(option));
    }

    @Test
    void theAllowlistNamesTheOnlyHostsKeySourcesMayUse() throws Exception {
        KeySourceAddressGuard guard = allowing("spire.example.org, *.tenant.example.org, 127.0.0.1, [::1]");

        assertThat(guard.refusal(URI.create("https://spire.example.org/keys"))).isNull();
        assertThat(guard.refusal(URI.create("https://SPIRE.example.org./keys"))).isNull();
        assertThat(guard.refusal(URI.create("https://oidc.tenant.example.org/keys"))).isNull();
        assertThat(guard.refusal(URI.create("http://127.0.0.1:8081/keys"))).isNull();
        assertThat(guard.refusal(URI.create("http://[::1]:8081/keys"))).isNull();
        for (String refused : List.of("https://evil.test/keys", "https://tenant.example.org/keys", "https://example.org/keys",
                "https://spire.example.org.evil.test/keys", "https://xtenant.example.org/keys", "http://127.0.0.2/keys")) {
            assertThat(guard.refusal(URI.create(refused))).as(refused).contains("is not in the server option")
                    .contains("key-source-allowed-hosts");
            assertThatThrownBy(() -> guard.addressesFor(URI.create(refused))).as(refused)
                    .isInstanceOf(KeySourceException.class).hasMessageContaining("key-source-allowed-hosts");
        }
        assertThat(guard.addressesFor(URI.create("https://spire.example.org/keys"))).extracting(InetAddress::getHostAddress)
                .containsExactly("10.1.2.3");
    }

    @Test
    void theAllowlistAppliesAlsoWhenLinkLocalSourcesAreAllowedAndDoesNotLiftTheAddressGuard() {
        KeySourceAddressGuard open = new KeySourceAddressGuard(true, dns(Map.of()), List.of("spire.example.org"));
        assertThat(open.refusal(URI.create("https://evil.test/keys"))).contains("key-source-allowed-hosts");
        assertThat(open.refusal(URI.create("https://spire.example.org/keys"))).isNull();

        KeySourceAddressGuard guarded = allowing("169.254.169.254");
        assertThat(guarded.refusal(URI.create("http://169.254.169.254/keys"))).contains("link-local (cloud metadata) address");
    }

    @Test
    void anEmptyAllowlistAllowsEveryHostAndBadPatternsAreRefused() {
        assertThat(KeySourceAddressGuard.hostPatterns(" , ")).isEmpty();
        assertThat(KeySourceAddressGuard.hostPatterns(null)).isEmpty();
        assertThat(allowing("").hostAllowed("anything.example")).isTrue();
        for (String bad : List.of("https://spire.example.org", "spire.example.org/keys", "*", "*.", "a*.example.org",
                "spire.example.org:8443x/", "sp ire")) {
            assertThatThrownBy(() -> KeySourceAddressGuard.hostPatterns(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key-source-allowed-hosts");
        }
    }

    @Test
    void optionAllowsEverything() throws Exception {
        KeySourceAddressGuard open = new KeySourceAddressGuard(true, dns(Map.of()));
        assertThat(open.refusal(URI.create("http://169.254.169.254/keys"))).isNull();
        assertThat(open.refusal(URI.create("http://metadata.google.internal/keys"))).isNull();
        assertThat(open.addressesFor(URI.create("http://[fe80::1]/keys"))).isEmpty();
    }

    @Test
    void systemResolverTreatsNumericFormsAsTheHttpClientDoes() {
        KeySourceAddressGuard system = KeySourceAddressGuard.system(false);
        assertThat(system.refusal(URI.create("http://2852039166/keys"))).contains("resolves to 169.254.169.254");
        assertThat(system.refusal(URI.create("http://127.0.0.1:1/keys"))).isNull();
    }
}
