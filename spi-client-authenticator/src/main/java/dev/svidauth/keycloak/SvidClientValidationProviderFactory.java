package dev.svidauth.keycloak;

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

    private final SvidClientValidationProvider provider = new SvidClientValidationProvider();

    @Override
    public ClientValidationProvider create(KeycloakSession session) {
        return provider;
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
