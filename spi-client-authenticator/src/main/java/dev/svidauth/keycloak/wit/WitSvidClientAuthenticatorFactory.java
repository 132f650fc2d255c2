package dev.svidauth.keycloak.wit;

import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.BorrowedRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.runtime.SvidAuthenticatorFactoryBase;
import dev.svidauth.svid.WitSvidVerifier;
import org.keycloak.Config;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import java.util.List;

/**
 * The {@code client-svid-wit} client authenticator: workloads authenticate with their WIT-SVID and
 * a proof of possession of its key, in the attestation headers. It shares the
 * {@link SvidAuthRuntime} of {@code client-svid-jwt} (key-source cache, client index, options,
 * metrics), found through {@link SvidAuthRuntimes}; only when that provider is disabled does it
 * build its own from the same options. Discovery and registration name it {@code spiffe_wit}.
 */
public final class WitSvidClientAuthenticatorFactory extends SvidAuthenticatorFactoryBase implements SvidAuthRuntimes.Owner {

    public static final String PROVIDER_ID = SvidMethod.WIT_PROVIDER_ID;
    /** Token endpoint auth method advertised in discovery (draft-ietf-oauth-spiffe-client-auth-02). */
    public static final String AUTH_METHOD = SvidMethod.WIT_AUTH_METHOD;

    private static final List<ProviderConfigProperty> CLIENT_PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(SvidClientConfig.SPIFFE_ID).label("svidSpiffeId").helpText("svidSpiffeIdHelp")
            .type(ProviderConfigProperty.STRING_TYPE).required(true).add()
            .property().name(SvidClientConfig.BUNDLE_URI).label("svidBundleUri").helpText("svidWitBundleUriHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.CLOCK_SKEW).label("svidClockSkew").helpText("svidWitClockSkewHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("30").add()
            .property().name(SvidClientConfig.POP_MAX_AGE).label("svidPopMaxAge").helpText("svidPopMaxAgeHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue(String.valueOf(WitSvidVerifier.DEFAULT_POP_MAX_AGE.toSeconds())).add()
            .build();

    private Config.Scope config;
    private final BorrowedRuntime runtime = new BorrowedRuntime();

    /** The runtime this factory uses (shared, or built here while {@code client-svid-jwt} is disabled); null before {@code postInit}. */
    @Override
    public SvidAuthRuntime runtime() {
        return runtime.get();
    }

    public WitSvidClientAuthenticatorFactory() {
        super(SvidMethod.WIT);
    }

    @Override
    public ClientAuthenticator create() {
        return new WitSvidClientAuthenticator(runtime.get(), runtime.get().witVerifier());
    }

    @Override
    public void init(Config.Scope config) {
        this.config = config;
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        runtime.attach(config, factory);
    }

    @Override
    public void close() {
        runtime.close();
    }

    @Override
    public String getDisplayType() {
        return "WIT-SVID with proof of possession (SPIFFE)";
    }

    @Override
    public String getHelpText() {
        return "Authenticates SPIFFE workloads by the WIT-SVID they send in the OAuth-Client-Attestation header with a"
                + " proof of possession of its key in OAuth-Client-Attestation-PoP, verified against the wit-svid keys"
                + " of their trust domain's SPIFFE bundle.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigPropertiesPerClient() {
        return CLIENT_PROPERTIES;
    }
}
