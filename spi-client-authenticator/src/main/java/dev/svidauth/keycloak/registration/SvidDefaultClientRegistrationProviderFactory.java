package dev.svidauth.keycloak.registration;

import dev.svidauth.keycloak.runtime.BuiltInReplacements;
import org.keycloak.Config;
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
 * id as Keycloak's provider, which a deployed provider replaces. With
 * {@code replace-client-registration=false} ({@link BuiltInReplacements}) it hands out Keycloak's
 * own provider (the start-up WARN is {@link SvidClientRegistrationProviderFactory}'s).
 */
public final class SvidDefaultClientRegistrationProviderFactory extends DefaultClientRegistrationProviderFactory {

    private boolean replace = BuiltInReplacements.DEFAULTS.clientRegistration();

    @Override
    public void init(Config.Scope config) {
        super.init(config);
        replace(BuiltInReplacements.ofServer().clientRegistration());
    }

    /** Whether this factory serves the provider with the policy defaults ({@code true}) or Keycloak's own. */
    void replace(boolean replace) {
        this.replace = replace;
    }

    @Override
    public ClientRegistrationProvider create(KeycloakSession session) {
        return replace ? new Provider(session) : super.create(session);
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
