package dev.svidauth.keycloak.registration;

import dev.svidauth.keycloak.trustdomain.TrustDomainEntry;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.services.clientregistration.policy.AbstractClientRegistrationPolicyFactory;
import org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy;

import java.util.List;

/**
 * The client registration policy {@value #PROVIDER_ID} ("SVID registration"), listed under
 * Clients → Client registration for anonymous and authenticated requests: what a registrant may
 * ask of an SVID client ({@link SvidRegistrationPolicy}).
 *
 * <p>In force by default: a realm without a component of this policy for the request's kind of
 * registration (a new realm, an existing or imported one) is served as if it had one with both
 * switches off ({@link SvidRegistrationPolicy#enforceDefaults}); an administrator adds the
 * policy to turn a switch on for that kind of registration. Removing the component therefore
 * restores the defaults rather than lifting them.
 */
public final class SvidRegistrationPolicyFactory extends AbstractClientRegistrationPolicyFactory {

    public static final String PROVIDER_ID = "svid-registration";

    /**
     * {@code true}: registrants may supply key material ({@code jwks_uri},
     * {@code spiffe_bundle_endpoint}) for trust domains without a trust-domain entry. Where an
     * entry exists, only the entry's own key sources are ever accepted, whatever this says.
     */
    public static final String ALLOW_KEY_SOURCES = "allow-registrant-key-sources";
    /**
     * {@code true}: a registrant may take a SPIFFE ID another client already accepts, where the
     * trust domain's entry allows sharing ({@value TrustDomainEntry#SHARED_SPIFFE_IDS}).
     */
    public static final String ALLOW_SHARED_SPIFFE_IDS = "allow-shared-spiffe-ids";

    private static final List<ProviderConfigProperty> PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(ALLOW_KEY_SOURCES).label("svidRegAllowKeySources").helpText("svidRegAllowKeySourcesHelp")
            .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(ALLOW_SHARED_SPIFFE_IDS).label("svidRegAllowSharedSpiffeIds").helpText("svidRegAllowSharedSpiffeIdsHelp")
            .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .build();

    @Override
    public ClientRegistrationPolicy create(KeycloakSession session, ComponentModel model) {
        return new SvidRegistrationPolicy(session, Boolean.parseBoolean(model.get(ALLOW_KEY_SOURCES)),
                Boolean.parseBoolean(model.get(ALLOW_SHARED_SPIFFE_IDS)));
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getHelpText() {
        return "SVID clients: registrants supply no key material and take no SPIFFE ID another client holds, unless allowed here";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties(KeycloakSession session) {
        return PROPERTIES;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return PROPERTIES;
    }
}
