package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.trustdomain.TrustDomainEntry;
import org.keycloak.Config;
import org.keycloak.component.ComponentModel;
import org.keycloak.component.ComponentValidationException;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.services.ui.extend.UiPageProvider;
import org.keycloak.services.ui.extend.UiPageProviderFactory;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The realm's SPIFFE trust domains ({@link TrustDomainEntry}) as an admin console page, through
 * Keycloak's admin UI extension SPI: each entry is a component of type {@link UiPageProvider}
 * with this provider id, and its config properties are the page's form. Every save, from the
 * console, the admin REST API ({@code /admin/realms/<realm>/components}) or a realm import, goes
 * through {@link #validateConfiguration}: a bad value, or a second entry for the same trust
 * domain, is refused with 400 naming the field, and nothing is stored.
 */
public final class TrustDomainPageFactory implements UiPageProvider, UiPageProviderFactory<ComponentModel> {

    public static final String PROVIDER_ID = TrustDomainEntry.PROVIDER_ID;

    private static final List<ProviderConfigProperty> PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(TrustDomainEntry.TRUST_DOMAIN).label("svidTdTrustDomain").helpText("svidTdTrustDomainHelp")
            .type(ProviderConfigProperty.STRING_TYPE).required(true).add()
            .property().name(TrustDomainEntry.BUNDLE_ENDPOINT_URL).label("svidTdBundleEndpointUrl")
            .helpText("svidTdBundleEndpointUrlHelp").type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.JWKS_URI).label("svidTdJwksUri").helpText("svidTdJwksUriHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.ISSUER).label("svidTdIssuer").helpText("svidTdIssuerHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.ALGORITHMS).label("svidTdAlgorithms").helpText("svidTdAlgorithmsHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.MAX_LIFETIME).label("svidTdMaxLifetime").helpText("svidTdMaxLifetimeHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.CLOCK_SKEW).label("svidTdClockSkew").helpText("svidTdClockSkewHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.AUDIENCE_ENDPOINTS).label("svidTdAudienceEndpoints")
            .helpText("svidTdAudienceEndpointsHelp").type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(TrustDomainEntry.CLIENT_KEY_SOURCES).label("svidTdClientKeySources").helpText("svidTdClientKeySourcesHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(TrustDomainEntry.SHARED_SPIFFE_IDS).label("svidTdSharedSpiffeIds").helpText("svidTdSharedSpiffeIdsHelp")
            .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .build();

    @Override
    public void validateConfiguration(KeycloakSession session, RealmModel realm, ComponentModel model)
            throws ComponentValidationException {
        List<ConfigError> errors = TrustDomainEntry.of(model).validate(SvidAuthRuntimes.keySourcePolicy(session));
        String name = model.get(TrustDomainEntry.TRUST_DOMAIN);
        if (errors.isEmpty() && TrustDomainEntry.components(realm)
                .anyMatch(c -> !Objects.equals(c.getId(), model.getId()) && name.equals(c.get(TrustDomainEntry.TRUST_DOMAIN)))) {
            throw invalid(TrustDomainEntry.TRUST_DOMAIN + ": realm '" + realm.getName() + "' already has an entry for trust domain '"
                    + name + "' (one entry per trust domain)");
        }
        if (!errors.isEmpty()) {
            throw invalid(errors.stream().map(ConfigError::message).collect(Collectors.joining("; ")));
        }
    }

    /**
     * Keycloak formats the message with {@link java.text.MessageFormat}, which would eat the
     * quotes of a message used as the pattern; as the argument of {@code {0}} it stays verbatim.
     */
    private static ComponentValidationException invalid(String message) {
        return new ComponentValidationException("{0}", message);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getHelpText() {
        return "svidTrustDomainsHelp";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return PROPERTIES;
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
}
