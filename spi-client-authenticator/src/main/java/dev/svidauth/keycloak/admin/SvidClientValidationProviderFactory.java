package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import org.keycloak.models.KeycloakSession;
import org.keycloak.validation.ClientValidationProvider;
import org.keycloak.validation.ClientValidationProviderFactory;

/**
 * Registers {@link SvidClientValidationProvider}. Keycloak uses one client validation provider,
 * the factory with the highest positive {@link #order()}; ours extends the default one, so every
 * built-in check still runs.
 */
public final class SvidClientValidationProviderFactory implements ClientValidationProviderFactory {

    public static final String PROVIDER_ID = "svid-auth";

    private final SvidClientValidationProvider strict = new SvidClientValidationProvider(SvidAuthOptions.DEFAULTS.keySourcePolicy());

    /**
     * The key-source policy follows the client authenticator's {@code allow-link-local-key-sources} and
     * {@code key-source-allowed-hosts} options, so one option governs both the save-time and the fetch-time check.
     */
    @Override
    public ClientValidationProvider create(KeycloakSession session) {
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
