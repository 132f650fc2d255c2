package dev.svidauth.keycloak.client;

import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import dev.svidauth.keys.KeySourceAddressGuard;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;
import org.keycloak.common.enums.SslRequired;
import org.keycloak.models.RealmModel;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key-source URL rules shared by the token endpoint and the client validation. */
class KeySourcePolicyTest {

    private final KeySourcePolicy strict = new KeySourcePolicy(KeySourceAddressGuard.system(false));

    private static SvidClientConfig config(String jwksUri, String issuer) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put(SvidClientConfig.SPIFFE_ID, "spiffe://example.org/ns/a");
        attrs.put(SvidClientConfig.JWKS_URI, jwksUri);
        attrs.put(SvidClientConfig.ISSUER, issuer);
        return SvidClientConfig.read(attrs);
    }

    private static RealmModel realm(SslRequired sslRequired) {
        return (RealmModel) Proxy.newProxyInstance(KeySourcePolicyTest.class.getClassLoader(), new Class<?>[] {RealmModel.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getSslRequired" -> sslRequired;
                    case "getName" -> "svid";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void atRequestTimeAUrlWithAQueryOrFragmentIsRefusedBeforeAnyFetch() {
        for (String url : new String[]{"https://oidc.example.org/keys?x=1", "https://oidc.example.org/.well-known/openid-configuration#f"}) {
            assertThatThrownBy(() -> strict.requireTransportSecurity(realm(SslRequired.ALL), URI.create(url))).as(url)
                    .isInstanceOfSatisfying(SvidRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.CLIENT_MISCONFIGURED))
                    .hasMessageContaining("must not have a query or fragment");
        }
    }

    @Test
    void withAnAllowlistOnlyItsHostsPassAtSaveAndAtRequestTime() throws Exception {
        KeySourcePolicy allowlisted = new KeySourcePolicy(KeySourceAddressGuard.system(false, List.of("*.example.org")));

        assertThat(allowlisted.hasAllowlist()).isTrue();
        assertThat(strict.hasAllowlist()).isFalse();
        assertThat(allowlisted.saveTimeRefusal(config("https://10.0.0.5/keys", null)).message())
                .startsWith("svid.jwks.uri: ").contains("key-source-allowed-hosts");
        assertThat(allowlisted.saveTimeRefusal(config(null, "https://other.test")).attribute()).isEqualTo(SvidClientConfig.ISSUER);
        assertThatThrownBy(() -> allowlisted.requireTransportSecurity(realm(SslRequired.ALL), URI.create("https://evil.test/keys")))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CLIENT_MISCONFIGURED))
                .hasMessageContaining("key-source-allowed-hosts");
        allowlisted.requireTransportSecurity(realm(SslRequired.ALL), URI.create("https://spire.example.org/keys"));
    }

    @Test
    void aLinkLocalKeySourceIsRefusedAtSaveNamingTheAttribute() {
        ConfigError refusal = strict.saveTimeRefusal(config("http://169.254.169.254/keys", null));

        assertThat(refusal.attribute()).isEqualTo(SvidClientConfig.JWKS_URI);
        assertThat(refusal.kind()).isEqualTo(ConfigError.Kind.INVALID);
        assertThat(refusal.message()).startsWith("svid.jwks.uri: ").contains("link-local (cloud metadata) address");
    }

    @Test
    void withoutAKeySourceTheIssuersDiscoveryUrlIsChecked() {
        ConfigError refusal = strict.saveTimeRefusal(config(null, "http://169.254.169.254"));

        assertThat(refusal.attribute()).isEqualTo(SvidClientConfig.ISSUER);
        assertThat(refusal.message()).startsWith("svid.issuer: ").contains("link-local (cloud metadata) address");
    }

    @Test
    void aPinnedIssuerIsNotCheckedWhenTheKeySourceIsSet() {
        assertThat(strict.saveTimeRefusal(config("https://10.0.0.5/keys", "http://169.254.169.254"))).isNull();
    }

    @Test
    void anInvalidIssuerIsLeftToItsOwnError() {
        SvidClientConfig c = config(null, " http://169.254.169.254");
        assertThat(c.errors()).singleElement().extracting(ConfigError::attribute).isEqualTo(SvidClientConfig.ISSUER);

        assertThat(strict.saveTimeRefusal(c)).isNull();
    }

    @Test
    void theOptionAllowsLinkLocalKeySources() {
        KeySourcePolicy lenient = new SvidAuthOptions(SvidAuthOptions.DEFAULTS.connectTimeout(),
                SvidAuthOptions.DEFAULTS.readTimeout(), SvidAuthOptions.DEFAULTS.maxBytes(), SvidAuthOptions.DEFAULTS.indexTtl(),
                true, SvidAuthOptions.DEFAULTS.signatureCacheSize(), SvidAuthOptions.DEFAULTS.ecdsaProvider(),
                SvidAuthOptions.DEFAULTS.fetchTimeout(), SvidAuthOptions.DEFAULTS.allowedHosts(),
                SvidAuthOptions.DEFAULTS.detailedErrors()).keySourcePolicy();

        assertThat(lenient.saveTimeRefusal(config("http://169.254.169.254/keys", null))).isNull();
        assertThat(lenient.addressGuard().allowsLinkLocal()).isTrue();
        assertThat(SvidAuthOptions.DEFAULTS.keySourcePolicy().allowsLinkLocal()).isFalse();
    }

    @Test
    void plainHttpOnlyWhereTheRealmAllowsIt() throws Exception {
        strict.requireTransportSecurity(realm(SslRequired.EXTERNAL), URI.create("http://127.0.0.1:8081/keys"));
        strict.requireTransportSecurity(realm(SslRequired.EXTERNAL), URI.create("http://10.0.0.5/keys"));
        strict.requireTransportSecurity(realm(SslRequired.ALL), URI.create("https://10.0.0.5/keys"));
        strict.requireTransportSecurity(realm(SslRequired.NONE), URI.create("HTTP://8.8.8.8/keys"));

        assertThatThrownBy(() -> strict.requireTransportSecurity(realm(SslRequired.EXTERNAL), URI.create("HTTP://8.8.8.8/keys")))
                .isInstanceOf(SvidRejectedException.class)
                .hasMessage("key source HTTP://8.8.8.8/keys must use https: realm 'svid' requires SSL for host 8.8.8.8")
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(Reason.CLIENT_MISCONFIGURED));
        assertThatThrownBy(() -> strict.requireTransportSecurity(realm(SslRequired.ALL), URI.create("http://127.0.0.1/keys")))
                .isInstanceOf(SvidRejectedException.class);
    }
}
