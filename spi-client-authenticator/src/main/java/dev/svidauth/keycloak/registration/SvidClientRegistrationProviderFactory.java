package dev.svidauth.keycloak.registration;

import dev.svidauth.keycloak.runtime.BuiltInReplacements;
import org.jboss.logging.Logger;
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
 *
 * <p>With {@code replace-client-registration=false} ({@link BuiltInReplacements}) it hands out
 * Keycloak's own provider unchanged, as {@link SvidDefaultClientRegistrationProviderFactory} does
 * for {@code default}: which class serves an id is fixed when the server is built, so the switch
 * is made here, at run time.
 */
public final class SvidClientRegistrationProviderFactory implements ClientRegistrationProviderFactory {

    /** Keycloak's OIDC registration provider id, which this factory serves. */
    public static final String PROVIDER_ID = OIDCClientRegistrationProviderFactory.ID;

    private static final Logger LOG = Logger.getLogger(SvidClientRegistrationProviderFactory.class);

    /** Keycloak's own factory of this id, which serves while the replacement is switched off. */
    private final OIDCClientRegistrationProviderFactory keycloak = new OIDCClientRegistrationProviderFactory();
    private boolean replace = BuiltInReplacements.DEFAULTS.clientRegistration();

    @Override
    public ClientRegistrationProvider create(KeycloakSession session) {
        return replace ? new SvidClientRegistrationProvider(session) : keycloak.create(session);
    }

    @Override
    public void init(Config.Scope config) {
        replace(BuiltInReplacements.ofServer().clientRegistration());
    }

    /** Whether this factory serves svid-auth's provider ({@code true}) or Keycloak's own. */
    void replace(boolean replace) {
        this.replace = replace;
        if (!replace) {
            LOG.warnf("client-svid-jwt: %s=false: Keycloak's own openid-connect and default client registration providers"
                    + " serve: no SPIFFE client metadata (%s, %s), and the %s policy applies only in realms that add it"
                    + " to their client registration policies", BuiltInReplacements.CLIENT_REGISTRATION,
                    SvidClientRegistrationProvider.SPIFFE_ID, SvidClientRegistrationProvider.SPIFFE_BUNDLE_ENDPOINT,
                    SvidRegistrationPolicyFactory.PROVIDER_ID);
        }
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
