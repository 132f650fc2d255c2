package dev.svidauth.keycloak.registration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.keycloak.services.clientregistration.DefaultClientRegistrationProvider;
import org.keycloak.services.clientregistration.oidc.OIDCClientRegistrationProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replace-client-registration}: on by default (svid-auth's providers under Keycloak's ids
 * {@code openid-connect} and {@code default}); off, both factories hand out Keycloak's own
 * providers, exactly those classes.
 */
class RegistrationReplacementTest {

    private static final String OPTION = "keycloak.client-authenticator.client-svid-jwt.replace-client-registration";

    @AfterEach
    void cleanUp() {
        System.clearProperty(OPTION);
    }

    @Test
    void byDefaultSvidAuthsProvidersServeBothIds() {
        SvidClientRegistrationProviderFactory oidc = new SvidClientRegistrationProviderFactory();
        SvidDefaultClientRegistrationProviderFactory plain = new SvidDefaultClientRegistrationProviderFactory();
        oidc.init(null);
        plain.init(null);

        assertThat(oidc.getId()).isEqualTo("openid-connect");
        assertThat(plain.getId()).isEqualTo("default");
        assertThat(oidc.create(null)).isExactlyInstanceOf(SvidClientRegistrationProvider.class);
        assertThat(plain.create(null)).isExactlyInstanceOf(SvidDefaultClientRegistrationProviderFactory.Provider.class);
    }

    @Test
    void switchedOffKeycloaksOwnProvidersServe() {
        System.setProperty(OPTION, "false");
        SvidClientRegistrationProviderFactory oidc = new SvidClientRegistrationProviderFactory();
        SvidDefaultClientRegistrationProviderFactory plain = new SvidDefaultClientRegistrationProviderFactory();
        oidc.init(null);
        plain.init(null);

        assertThat(oidc.create(null)).isExactlyInstanceOf(OIDCClientRegistrationProvider.class);
        assertThat(plain.create(null)).isExactlyInstanceOf(DefaultClientRegistrationProvider.class);
    }
}
