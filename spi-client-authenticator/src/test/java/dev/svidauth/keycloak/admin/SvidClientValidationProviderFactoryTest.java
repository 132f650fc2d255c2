package dev.svidauth.keycloak.admin;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.validation.DefaultClientValidationProvider;

import java.lang.reflect.Proxy;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replace-client-validation=false}: the factory Keycloak chose at build time hands out
 * Keycloak's own client validation provider, none of svid-auth's checks.
 */
class SvidClientValidationProviderFactoryTest {

    private static final String OPTION = "keycloak.client-authenticator.client-svid-jwt.replace-client-validation";

    @AfterEach
    void cleanUp() {
        System.clearProperty(OPTION);
    }

    @Test
    void switchedOffItServesKeycloaksOwnProvider() {
        System.setProperty(OPTION, "false");
        SvidClientValidationProviderFactory factory = new SvidClientValidationProviderFactory();
        factory.init(null);

        assertThat(factory.create(null)).isExactlyInstanceOf(DefaultClientValidationProvider.class);
        assertThat(factory.getId()).isEqualTo("svid-auth");
        assertThat(factory.order()).isPositive();
    }

    @Test
    void byDefaultItServesSvidAuthsProvider() {
        SvidClientValidationProviderFactory factory = new SvidClientValidationProviderFactory();
        factory.init(null);

        assertThat(factory.create(sessionWithoutRuntime())).isExactlyInstanceOf(SvidClientValidationProvider.class);
    }

    /** A session whose server runs no {@code client-svid-jwt}: the strict key-source policy applies. */
    private static KeycloakSession sessionWithoutRuntime() {
        KeycloakSessionFactory factory = (KeycloakSessionFactory) Proxy.newProxyInstance(
                SvidClientValidationProviderFactoryTest.class.getClassLoader(), new Class<?>[] {KeycloakSessionFactory.class},
                (proxy, method, args) -> null);
        return (KeycloakSession) Proxy.newProxyInstance(SvidClientValidationProviderFactoryTest.class.getClassLoader(),
                new Class<?>[] {KeycloakSession.class},
                (proxy, method, args) -> method.getName().equals("getKeycloakSessionFactory") ? factory : null);
    }
}
