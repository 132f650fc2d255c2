package dev.svidauth.keycloak.jwt;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Provider options read by {@link JwtSvidClientAuthenticatorFactory#init} ({@link SvidAuthOptions}). */
class JwtSvidClientAuthenticatorFactoryOptionsTest {

    private static final String PREFIX = "svidauth.test.options.";

    private final JwtSvidClientAuthenticatorFactory factory = new JwtSvidClientAuthenticatorFactory();

    @AfterEach
    void cleanUp() {
        factory.close();
        for (ProviderConfigProperty p : SvidAuthOptions.metadata()) {
            System.clearProperty(PREFIX + p.getName());
        }
    }

    @Test
    void linkLocalKeySourcesAreRefusedByDefault() {
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.runtime().keySourcePolicy().allowsLinkLocal()).isFalse();
        assertThat(factory.getOperationalInfo()).containsEntry("allow-link-local-key-sources", "false");
    }

    @Test
    void optionAllowsLinkLocalKeySources() {
        System.setProperty(PREFIX + "allow-link-local-key-sources", "true");
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.runtime().keySourcePolicy().allowsLinkLocal()).isTrue();
        assertThat(factory.runtime().keySourcePolicy().addressGuard().refusal(java.net.URI.create("http://169.254.169.254/keys"))).isNull();
    }

    @Test
    void unsetOptionsTakeTheDocumentedDefaults() {
        SvidAuthOptions options = SvidAuthOptions.read(new Config.SystemPropertiesScope(PREFIX));

        assertThat(options).isEqualTo(new SvidAuthOptions(Duration.ofMillis(2000), Duration.ofMillis(5000), 524288,
                Duration.ofSeconds(60), false, 10_000, "auto", Duration.ofMillis(5000), java.util.List.of(), false));
        assertThat(options).isEqualTo(SvidAuthOptions.DEFAULTS);
    }

    @Test
    void everyOptionIsReadUnderItsName() {
        System.setProperty(PREFIX + "key-source-connect-timeout", "100");
        System.setProperty(PREFIX + "key-source-read-timeout", "200");
        System.setProperty(PREFIX + "key-source-max-bytes", "300");
        System.setProperty(PREFIX + "index-ttl", "400");
        System.setProperty(PREFIX + "allow-link-local-key-sources", "true");
        System.setProperty(PREFIX + "signature-cache-size", "500");
        System.setProperty(PREFIX + "ecdsa-provider", "jdk");
        System.setProperty(PREFIX + "key-source-fetch-timeout", "600");
        System.setProperty(PREFIX + "key-source-allowed-hosts", " spire.example.org, *.Oidc.Example.org. ,,[::1]");
        System.setProperty(PREFIX + "detailed-errors", "true");

        assertThat(SvidAuthOptions.read(new Config.SystemPropertiesScope(PREFIX))).isEqualTo(new SvidAuthOptions(
                Duration.ofMillis(100), Duration.ofMillis(200), 300, Duration.ofSeconds(400), true, 500, "jdk",
                Duration.ofMillis(600), java.util.List.of("spire.example.org", "*.oidc.example.org", "::1"), true));
    }

    @Test
    void anAllowlistEntryThatIsNoHostFailsStartUp() {
        System.setProperty(PREFIX + "key-source-allowed-hosts", "spire.example.org,https://x/keys");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SvidAuthOptions.read(new Config.SystemPropertiesScope(PREFIX)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key-source-allowed-hosts")
                .hasMessageContaining("https://x/keys");
    }

    @Test
    void theAllowlistGovernsTheSaveTimeCheck() {
        System.setProperty(PREFIX + "key-source-allowed-hosts", "*.example.org");
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        KeySourcePolicy policy = factory.runtime().keySourcePolicy();
        assertThat(policy.hasAllowlist()).isTrue();
        assertThat(policy.addressGuard().refusal(java.net.URI.create("http://127.0.0.1:8081/keys")))
                .contains("is not in the server option").contains("key-source-allowed-hosts");
    }

    /** Terse answers are the default; Server Info says which way the server answers. */
    @Test
    void detailedErrorsAreOffByDefaultAndShownInServerInfo() {
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.runtime().options().detailedErrors()).isFalse();
        assertThat(factory.getOperationalInfo()).containsEntry("detailed-errors", "false");
    }

    @Test
    void detailedErrorsCanBeTurnedOnForDevelopment() {
        System.setProperty(PREFIX + "detailed-errors", "true");
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.runtime().options().detailedErrors()).isTrue();
        assertThat(factory.getOperationalInfo()).containsEntry("detailed-errors", "true");
    }

    @Test
    void signatureCacheSizeIsClamped() {
        System.setProperty(PREFIX + "signature-cache-size", "-5");
        assertThat(SvidAuthOptions.read(new Config.SystemPropertiesScope(PREFIX)).signatureCacheSize()).isZero();
        System.setProperty(PREFIX + "signature-cache-size", "99999999");
        assertThat(SvidAuthOptions.read(new Config.SystemPropertiesScope(PREFIX)).signatureCacheSize()).isEqualTo(1_000_000);
    }

    /** What Keycloak lists for the provider: every option, with its type and the default {@link SvidAuthOptions#read} applies. */
    @Test
    void configMetadataDeclaresEveryOptionWithItsDefault() {
        Map<String, ProviderConfigProperty> declared = factory.getConfigMetadata().stream()
                .collect(Collectors.toMap(ProviderConfigProperty::getName, Function.identity()));

        assertThat(declared).containsOnlyKeys("key-source-connect-timeout", "key-source-read-timeout", "key-source-max-bytes",
                "index-ttl", "allow-link-local-key-sources", "signature-cache-size", "ecdsa-provider",
                "key-source-fetch-timeout", "key-source-allowed-hosts", "detailed-errors",
                "replace-client-validation", "replace-client-registration");
        assertThat(declared.get("key-source-fetch-timeout").getDefaultValue()).isEqualTo(5000L);
        assertThat(declared.get("key-source-fetch-timeout").getType()).isEqualTo("long");
        assertThat(declared.get("key-source-allowed-hosts").getDefaultValue()).isEqualTo("");
        assertThat(declared.values()).allSatisfy(p -> assertThat(p.getHelpText()).isNotBlank());
        assertThat(declared.get("key-source-connect-timeout").getDefaultValue()).isEqualTo(2000L);
        assertThat(declared.get("key-source-read-timeout").getDefaultValue()).isEqualTo(5000L);
        assertThat(declared.get("key-source-max-bytes").getDefaultValue()).isEqualTo(524288L);
        assertThat(declared.get("index-ttl").getDefaultValue()).isEqualTo(60L);
        assertThat(declared.get("signature-cache-size").getDefaultValue()).isEqualTo(10_000L);
        assertThat(declared.get("allow-link-local-key-sources").getDefaultValue()).isEqualTo(false);
        assertThat(declared.get("allow-link-local-key-sources").getType()).isEqualTo("boolean");
        assertThat(declared.get("index-ttl").getType()).isEqualTo("long");
        assertThat(declared.get("ecdsa-provider").getDefaultValue()).isEqualTo("auto");
        assertThat(declared.get("ecdsa-provider").getOptions()).containsExactly("auto", "keycloak", "jdk");
        assertThat(declared.get("detailed-errors").getDefaultValue()).isEqualTo(false);
        assertThat(declared.get("detailed-errors").getType()).isEqualTo("boolean");
        assertThat(declared.get("replace-client-validation").getDefaultValue()).isEqualTo(true);
        assertThat(declared.get("replace-client-validation").getType()).isEqualTo("boolean");
        assertThat(declared.get("replace-client-registration").getDefaultValue()).isEqualTo(true);
        assertThat(declared.get("replace-client-registration").getType()).isEqualTo("boolean");
    }

    /** Server Info says which Keycloak built-ins the JAR replaces: both, unless switched off. */
    @Test
    void serverInfoShowsTheReplacedBuiltIns() {
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.getOperationalInfo()).containsEntry("replace-client-validation", "true")
                .containsEntry("replace-client-registration", "true");
    }

    @Test
    void serverInfoShowsASwitchedOffReplacement() {
        System.setProperty(PREFIX + "replace-client-registration", "false");
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.getOperationalInfo()).containsEntry("replace-client-validation", "true")
                .containsEntry("replace-client-registration", "false");
    }
}
