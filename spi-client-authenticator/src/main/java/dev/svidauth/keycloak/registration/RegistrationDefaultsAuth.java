package dev.svidauth.keycloak.registration;

import org.keycloak.events.EventBuilder;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.clientregistration.ClientRegistrationAuth;
import org.keycloak.services.clientregistration.ClientRegistrationContext;
import org.keycloak.services.clientregistration.ClientRegistrationProvider;
import org.keycloak.services.clientregistration.policy.RegistrationAuth;

/**
 * Keycloak's registration authorization, unchanged, followed by the defaults of the
 * {@value SvidRegistrationPolicyFactory#PROVIDER_ID} policy where the realm has no component of it
 * for the request's kind of registration ({@link SvidRegistrationPolicy#enforceDefaults}). Runs
 * after Keycloak has authenticated the request and run the realm's policy components, so an
 * unauthenticated or otherwise refused request gets Keycloak's answer first.
 */
final class RegistrationDefaultsAuth extends ClientRegistrationAuth {

    private final KeycloakSession session;

    RegistrationDefaultsAuth(KeycloakSession session, ClientRegistrationProvider provider, EventBuilder event, String endpoint) {
        super(session, provider, event, endpoint);
        this.session = session;
    }

    @Override
    public RegistrationAuth requireCreate(ClientRegistrationContext context) {
        RegistrationAuth auth = super.requireCreate(context);
        SvidRegistrationPolicy.enforceDefaults(session, auth, context.getClient(), null);
        return auth;
    }

    @Override
    public RegistrationAuth requireUpdate(ClientRegistrationContext context, ClientModel client) {
        RegistrationAuth auth = super.requireUpdate(context, client);
        SvidRegistrationPolicy.enforceDefaults(session, auth, context.getClient(), client);
        return auth;
    }
}
