package dev.svidauth.keycloak.x509;

import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.BorrowedRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.runtime.SvidAuthenticatorFactoryBase;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code client-svid-x509} client authenticator: workloads authenticate with the X.509-SVID
 * SPIRE gave them, as TLS client certificate (mutual TLS), verified against their trust domain's
 * SPIFFE bundle. It shares the {@link SvidAuthRuntime} of {@code client-svid-jwt}, found through
 * {@link SvidAuthRuntimes} (one key-source cache, one client index, one set of provider options);
 * only when that provider is disabled does it build its own from the same options.
 */
public final class X509SvidClientAuthenticatorFactory extends SvidAuthenticatorFactoryBase
        implements ServerInfoAwareProviderFactory, SvidAuthRuntimes.Owner {

    private static final Logger LOG = Logger.getLogger(X509SvidClientAuthenticatorFactory.class);

    public static final String PROVIDER_ID = SvidMethod.X509_PROVIDER_ID;
    /** Token endpoint auth method advertised in discovery (draft-ietf-oauth-spiffe-client-auth section 5). */
    public static final String AUTH_METHOD = SvidMethod.X509_AUTH_METHOD;

    private static final List<ProviderConfigProperty> CLIENT_PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(SvidClientConfig.SPIFFE_ID).label("svidSpiffeId").helpText("svidSpiffeIdHelp")
            .type(ProviderConfigProperty.STRING_TYPE).required(true).add()
            .property().name(SvidClientConfig.BUNDLE_URI).label("svidBundleUri").helpText("svidBundleUriHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.CLOCK_SKEW).label("svidClockSkew").helpText("svidX509ClockSkewHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("30").add()
            .build();

    private Config.Scope config;
    private final BorrowedRuntime runtime = new BorrowedRuntime();

    /** The runtime this factory uses (shared, or built here while {@code client-svid-jwt} is disabled); null before {@code postInit}. */
    @Override
    public SvidAuthRuntime runtime() {
        return runtime.get();
    }
    /** Whether a certificate forwarded by a proxy may be used; fail closed until {@link #postInit} has read it. */
    private volatile ProxyCertificateTrust proxyTrust = new ProxyCertificateTrust("unknown", null);

    public X509SvidClientAuthenticatorFactory() {
        super(SvidMethod.X509);
    }

    @Override
    public ClientAuthenticator create() {
        return new X509SvidClientAuthenticator(runtime.get(), proxyTrust);
    }

    @Override
    public void init(Config.Scope config) {
        this.config = config;
    }

    /**
     * Reads the server's certificate lookup and proxy trust ({@link ProxyCertificateTrust}) and
     * warns when forwarded certificates are ignored, then takes the shared runtime.
     */
    @Override
    public void postInit(KeycloakSessionFactory factory) {
        proxyTrust = ProxyCertificateTrust.of(factory);
        String warning = proxyTrust.warning();
        if (warning != null) {
            LOG.warn(warning);
        }
        runtime.attach(config, factory);
    }

    @Override
    public void close() {
        runtime.close();
    }

    @Override
    public String getDisplayType() {
        return "Mutual TLS X.509-SVID (SPIFFE)";
    }

    @Override
    public String getHelpText() {
        return "Authenticates SPIFFE workloads by the X.509-SVID they present as TLS client certificate,"
                + " verified against the X.509 authorities of their trust domain's SPIFFE bundle (not Keycloak's truststore).";
    }

    @Override
    public List<ProviderConfigProperty> getConfigPropertiesPerClient() {
        return CLIENT_PROPERTIES;
    }

    /** Server Info: which certificate lookup runs and what becomes of a certificate a proxy forwards. */
    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put(ProxyCertificateTrust.INFO_LOOKUP, proxyTrust.lookup());
        info.put(ProxyCertificateTrust.INFO_FORWARDED, proxyTrust.serverInfo());
        return info;
    }
}
