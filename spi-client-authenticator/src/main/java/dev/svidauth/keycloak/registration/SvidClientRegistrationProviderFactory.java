package dev.svidauth.keycloak.registration;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.services.clientregistration.ClientRegistrationProvider;
import org.keycloak.services.clientregistration.ClientRegistrationProviderFactory;
import org.keycloak.services.clientregistration.oidc.OIDCClientRegistrationProviderFactory;

/**
 * OpenID Connect dynamic client registration ({@code /realms/{realm}/clients-registrations/openid-connect})
 * that also understands the client metadata of draft-ietf-oauth-spiffe-client-auth: it takes the
 * place of Keycloak's own {@value OIDCClientRegistrationProviderFactory#ID} provider (same id; Keycloak
 * prefers a deployed provider over its built-in one of the same id) and hands every request to
 * Keycloak's provider, adding only the SPIFFE metadata. See {@link SvidClientRegistrationProvider}.
 */
public final class SvidClientRegistrationProviderFactory implements ClientRegistrationProviderFactory {

    /** Keycloak's OIDC registration provider id, which this factory serves. */
    public static final String PROVIDER_ID = OIDCClientRegistrationProviderFactory.ID;

    @Override
    public ClientRegistrationProvider create(KeycloakSession session) {
        return new SvidClientRegistrationProvider(session);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
