package dev.svidauth.keycloak;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;

import static org.assertj.core.api.Assertions.assertThat;

/** Provider options read by {@link SvidClientAuthenticatorFactory#init}. */
class SvidClientAuthenticatorFactoryOptionsTest {

    private static final String PREFIX = "svidauth.test.options.";

    private final SvidClientAuthenticatorFactory factory = new SvidClientAuthenticatorFactory();

    @AfterEach
    void cleanUp() {
        factory.close();
        System.clearProperty(PREFIX + "allow-link-local-key-sources");
    }

    @Test
    void linkLocalKeySourcesAreRefusedByDefault() {
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.addressGuard().allowsLinkLocal()).isFalse();
        assertThat(factory.getOperationalInfo()).containsEntry("allow-link-local-key-sources", "false");
    }

    @Test
    void optionAllowsLinkLocalKeySources() {
        System.setProperty(PREFIX + "allow-link-local-key-sources", "true");
        factory.init(new Config.SystemPropertiesScope(PREFIX));

        assertThat(factory.addressGuard().allowsLinkLocal()).isTrue();
        assertThat(factory.addressGuard().refusal(java.net.URI.create("http://169.254.169.254/keys"))).isNull();
    }
}
