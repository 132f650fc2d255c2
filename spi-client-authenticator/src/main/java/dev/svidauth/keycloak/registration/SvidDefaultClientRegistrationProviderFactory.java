package dev.svidauth.keycloak.registration;

import org.keycloak.models.KeycloakSession;
import org.keycloak.services.clientregistration.ClientRegistrationAuth;
import org.keycloak.services.clientregistration.ClientRegistrationProvider;
import org.keycloak.services.clientregistration.DefaultClientRegistrationProvider;
import org.keycloak.services.clientregistration.DefaultClientRegistrationProviderFactory;

/**
 * Keycloak's {@code default} registration provider ({@code /clients-registrations/default}, a
 * client representation with any attributes and authenticator), with the defaults of the
 * {@value SvidRegistrationPolicyFactory#PROVIDER_ID} policy enforced as for OpenID Connect
 * registration: a registrant could otherwise set {@code svid.*} attributes there directly. Same
 * id as Keycloak's provider, which a deployed provider replaces.
 */
public final class SvidDefaultClientRegistrationProviderFactory extends DefaultClientRegistrationProviderFactory {

    @Override
    public ClientRegistrationProvider create(KeycloakSession session) {
        return new Provider(session);
    }

    /** Keycloak's provider with {@link RegistrationDefaultsAuth} as its authorization. */
    public static final class Provider extends DefaultClientRegistrationProvider {

        private final KeycloakSession session;

        Provider(KeycloakSession session) {
            super(session);
            this.session = session;
        }

        @Override
        public void setAuth(ClientRegistrationAuth auth) {
            super.setAuth(new RegistrationDefaultsAuth(session, this, getEvent(), "default"));
        }
    }
}
