package dev.svidauth.keycloak;

import org.keycloak.Config;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.broker.spiffe.SpiffeConstants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code client-svid-jwt} client authenticator: workloads authenticate with the JWT-SVID
 * SPIRE gave them, sent as an OAuth {@code client_assertion}.
 *
 * <p>This factory is the provider's descriptor (id, texts, per-client settings, discovery) and its
 * life cycle: {@link #init} reads the {@link SvidAuthOptions} (declared by
 * {@link #getConfigMetadata()}) and builds the {@link SvidAuthRuntime}, which the authenticators it
 * creates share; {@link #postInit} starts the client index and registers its
 * {@link ClientIndexInvalidation} and, once the server is up, its {@link ClusterIndexInvalidation}; {@link #close} closes the runtime.
 */
public final class SvidClientAuthenticatorFactory extends SvidAuthenticatorFactoryBase implements ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "client-svid-jwt";
    /** draft-ietf-oauth-spiffe-client-auth assertion type ({@code …:jwt-spiffe}), as Keycloak spells it. */
    public static final String ASSERTION_TYPE_JWT_SPIFFE = SpiffeConstants.CLIENT_ASSERTION_TYPE;
    /** RFC 7523 assertion type ({@code …:jwt-bearer}), used by spiffe-helper style deployments. */
    public static final String ASSERTION_TYPE_JWT_BEARER = OAuth2Constants.CLIENT_ASSERTION_TYPE_JWT;
    /** Token endpoint auth method advertised in discovery (draft-ietf-oauth-spiffe-client-auth section 4). */
    public static final String AUTH_METHOD = "spiffe_jwt";
    /** Micrometer counter, exposed by Keycloak's /metrics as {@code svid_auth_client_authentications_total}. */
    public static final String METRIC_AUTHENTICATIONS = AuthenticationMetrics.METRIC_AUTHENTICATIONS;

    private static final List<ProviderConfigProperty> CLIENT_PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(SvidClientConfig.SPIFFE_ID).label("svidSpiffeId").helpText("svidSpiffeIdHelp")
            .type(ProviderConfigProperty.STRING_TYPE).required(true).add()
            .property().name(SvidClientConfig.JWKS_URI).label("svidJwksUri").helpText("svidJwksUriHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.ISSUER).label("svidIssuer").helpText("svidIssuerHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.AUDIENCES).label("svidAudiences").helpText("svidAudiencesHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.AUDIENCE_ISSUER_ONLY).label("svidAudienceIssuerOnly")
            .helpText("svidAudienceIssuerOnlyHelp").type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(SvidClientConfig.AUDIENCE_ENDPOINTS).label("svidAudienceEndpoints")
            .helpText("svidAudienceEndpointsHelp").type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(SvidClientConfig.MAX_LIFETIME).label("svidMaxLifetime").helpText("svidMaxLifetimeHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("3600").add()
            .property().name(SvidClientConfig.CLOCK_SKEW).label("svidClockSkew").helpText("svidClockSkewHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("30").add()
            .property().name(SvidClientConfig.SINGLE_USE).label("svidSingleUse").helpText("svidSingleUseHelp")
            .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(SvidClientConfig.ALGORITHMS).label("svidAlgorithms").helpText("svidAlgorithmsHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .build();

    private SvidAuthRuntime runtime;
    private volatile KeycloakSessionFactory sessionFactory;
    /** Server Info's conflict entries and when they were computed: every realm's clients are walked, so at most once every ten seconds. */
    private volatile Map<String, String> conflictInfo;
    private volatile long conflictInfoAt;
    private static final long CONFLICT_INFO_MILLIS = 10_000;

    public SvidClientAuthenticatorFactory() {
        super(SvidMethod.JWT);
    }

    @Override
    public ClientAuthenticator create() {
        return new SvidClientAuthenticator(runtime);
    }

    @Override
    public void init(Config.Scope config) {
        runtime = new SvidAuthRuntime(SvidAuthOptions.read(config));
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        sessionFactory = factory;
        start(runtime, factory);
    }

    /**
     * Starts a runtime: its client index reads from the database and follows client changes on
     * this node and, once the server is up, on the others.
     */
    static void start(SvidAuthRuntime runtime, KeycloakSessionFactory factory) {
        runtime.start(factory);
        factory.register(new ClientIndexInvalidation(runtime.clientIndex()));
        // Once the server is up (its cluster provider started): client changes on other nodes.
        ClusterIndexInvalidation cluster = new ClusterIndexInvalidation(runtime.clientIndex());
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                cluster.register(((PostMigrationEvent) event).getFactory());
            }
        });
    }

    @Override
    public void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    /** The shared runtime (null before {@link #init}); the client validation reads its key-source policy. */
    SvidAuthRuntime runtime() {
        return runtime;
    }

    /**
     * The key-source policy of the running authenticator (it follows its
     * {@code allow-link-local-key-sources} option), for save-time checks; the strict default
     * before the authenticator is initialised.
     */
    static KeySourcePolicy keySourcePolicy(KeycloakSession session) {
        SvidAuthRuntime runtime = runtime(session.getKeycloakSessionFactory());
        return runtime != null ? runtime.keySourcePolicy() : STRICT_POLICY;
    }

    /**
     * The runtime of the server's running {@value #PROVIDER_ID} provider, which the other svid-auth
     * providers share; null when that provider is disabled or not yet initialised.
     */
    static SvidAuthRuntime runtime(KeycloakSessionFactory factory) {
        ProviderFactory<ClientAuthenticator> authenticator = factory.getProviderFactory(ClientAuthenticator.class, PROVIDER_ID);
        return authenticator instanceof SvidClientAuthenticatorFactory jwt ? jwt.runtime() : null;
    }

    private static final KeySourcePolicy STRICT_POLICY = KeySourcePolicy.of(SvidAuthOptions.DEFAULTS);

    /** The provider options, for Keycloak's option listing ({@code kc.sh show-config}, docs). */
    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return SvidAuthOptions.metadata();
    }

    @Override
    public String getDisplayType() {
        return "Signed JWT-SVID (SPIFFE)";
    }

    @Override
    public String getHelpText() {
        return "Authenticates SPIFFE workloads by the JWT-SVID they present as client_assertion"
                + " (jwt-spiffe or jwt-bearer), verified against the client's SPIRE key source.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigPropertiesPerClient() {
        return CLIENT_PROPERTIES;
    }

    @Override
    public boolean supportsClientAssertion() {
        return true;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        String version = SvidClientAuthenticatorFactory.class.getPackage().getImplementationVersion();
        info.put("svid-auth-version", version != null ? version : "development");
        info.put("assertion-types", ASSERTION_TYPE_JWT_SPIFFE + ", " + ASSERTION_TYPE_JWT_BEARER);
        if (runtime != null) {
            info.putAll(runtime.operationalInfo());
        }
        info.putAll(conflictInfo());
        return info;
    }

    /**
     * {@code trust-domain-conflicts}: how many clients of all realms break the trust-domain
     * authority rules ({@link TrustDomainAuthority#conflicts}), and one entry per realm with any,
     * pointing at the diagnose endpoint that lists them.
     */
    private Map<String, String> conflictInfo() {
        Map<String, String> cached = conflictInfo;
        long now = System.currentTimeMillis();
        if (cached != null && now - conflictInfoAt < CONFLICT_INFO_MILLIS) {
            return cached;
        }
        Map<String, String> info = new LinkedHashMap<>();
        KeycloakSessionFactory factory = sessionFactory;
        if (factory == null) {
            return info;
        }
        try {
            int[] total = {0};
            Map<String, String> perRealm = new LinkedHashMap<>();
            KeycloakModelUtils.runJobInTransaction(factory, s -> s.realms().getRealmsStream().forEach(realm -> {
                int n = TrustDomainAuthority.conflicts(realm).size();
                if (n > 0) {
                    total[0] += n;
                    perRealm.put("trust-domain-conflicts " + realm.getName(), n + " (listed by POST /admin/realms/"
                            + realm.getName() + "/svid-auth/diagnose under \"conflicts\")");
                }
            }));
            info.put("trust-domain-conflicts", String.valueOf(total[0]));
            info.putAll(perRealm);
        } catch (RuntimeException e) {
            info.put("trust-domain-conflicts", "unavailable: " + e);
        }
        conflictInfo = info;
        conflictInfoAt = now;
        return info;
    }
}
