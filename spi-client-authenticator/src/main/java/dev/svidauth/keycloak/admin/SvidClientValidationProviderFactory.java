package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.runtime.BuiltInReplacements;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.validation.ClientValidationProvider;
import org.keycloak.validation.ClientValidationProviderFactory;
import org.keycloak.validation.DefaultClientValidationProviderFactory;

/**
 * Registers {@link SvidClientValidationProvider}. Keycloak uses one client validation provider,
 * the factory with the highest positive {@link #order()}; ours extends the default one, so every
 * built-in check still runs.
 *
 * <p>With {@code replace-client-validation=false} ({@link BuiltInReplacements}) it hands out
 * Keycloak's own provider instead: Keycloak chooses the SPI's provider when the server is built,
 * so the factory stays the chosen one and serves what Keycloak's {@code default} would.
 */
public final class SvidClientValidationProviderFactory implements ClientValidationProviderFactory {

    public static final String PROVIDER_ID = "svid-auth";

    private static final Logger LOG = Logger.getLogger(SvidClientValidationProviderFactory.class);

    private final SvidClientValidationProvider strict = new SvidClientValidationProvider(SvidAuthOptions.DEFAULTS.keySourcePolicy());
    /** Keycloak's own factory, which serves while the replacement is switched off. */
    private final DefaultClientValidationProviderFactory keycloak = new DefaultClientValidationProviderFactory();
    private boolean replace = BuiltInReplacements.DEFAULTS.clientValidation();

    @Override
    public void init(Config.Scope config) {
        replace(BuiltInReplacements.ofServer().clientValidation());
    }

    /** Whether this factory serves svid-auth's provider ({@code true}) or Keycloak's own. */
    void replace(boolean replace) {
        this.replace = replace;
        if (!replace) {
            LOG.warnf("client-svid-jwt: %s=false: Keycloak's own client validation serves; svid.* settings and the"
                    + " trust-domain rules are no longer checked when a client is saved, only at request time",
                    BuiltInReplacements.CLIENT_VALIDATION);
        }
    }

    /**
     * The key-source policy follows the client authenticator's {@code allow-link-local-key-sources} and
     * {@code key-source-allowed-hosts} options, so one option governs both the save-time and the fetch-time check.
     */
    @Override
    public ClientValidationProvider create(KeycloakSession session) {
        if (!replace) {
            return keycloak.create(session);
        }
        KeySourcePolicy policy = SvidAuthRuntimes.keySourcePolicy(session);
        return policy.allowsLinkLocal() || policy.hasAllowlist() ? new SvidClientValidationProvider(policy) : strict;
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public int order() {
        return 10;
    }
}
