package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.SvidMethod;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.authentication.ClientAuthenticatorFactory;
import org.keycloak.authentication.ConfigurableAuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.provider.ProviderConfigProperty;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the two SVID client authenticators' factories declare alike: the provider id and
 * {@code token_endpoint_auth_method} of their {@link SvidMethod}, a place in a client flow
 * (alternative or required, no flow-level configuration, no user set-up), settings per client only,
 * and no credentials in the adapter configuration.
 */
public abstract class SvidAuthenticatorFactoryBase implements ClientAuthenticatorFactory {

    private final SvidMethod method;

    protected SvidAuthenticatorFactoryBase(SvidMethod method) {
        this.method = method;
    }

    @Override
    public ClientAuthenticator create(KeycloakSession session) {
        return create();
    }

    @Override
    public final String getId() {
        return method.providerId();
    }

    @Override
    public String getReferenceCategory() {
        return "svid";
    }

    @Override
    public boolean isConfigurable() {
        return false;
    }

    @Override
    public AuthenticationExecutionModel.Requirement[] getRequirementChoices() {
        return ConfigurableAuthenticatorFactory.REQUIREMENT_CHOICES;
    }

    @Override
    public boolean isUserSetupAllowed() {
        return false;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return Collections.emptyList();
    }

    /**
     * The {@code credentials} of the client's adapter configuration ({@code keycloak.json}, admin
     * console "Action → Download adapter config"): none. An SVID client holds no secret or key
     * that could be written into a file; its workload presents the SVID SPIRE gives it.
     */
    @Override
    public Map<String, Object> getAdapterConfiguration(KeycloakSession session, ClientModel client) {
        return Collections.emptyMap();
    }

    /**
     * The same for Keycloak 26.4 and 26.5, whose {@link ClientAuthenticatorFactory} declares this
     * signature (no session) and whose installation endpoint calls it; without it that endpoint
     * answers 500 ({@link AbstractMethodError}) for an SVID client. Not an {@code @Override}: the
     * interface we compile against (26.7) has only the variant with the session.
     */
    public Map<String, Object> getAdapterConfiguration(ClientModel client) {
        return Collections.emptyMap();
    }

    /** Discovery's {@code *_auth_methods_supported}: {@code spiffe_jwt} or {@code spiffe_x509}. */
    @Override
    public Set<String> getProtocolAuthenticatorMethods(String loginProtocol) {
        return OIDCLoginProtocol.LOGIN_PROTOCOL.equals(loginProtocol) ? Set.of(method.authMethod()) : Collections.emptySet();
    }
}
