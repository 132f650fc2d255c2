package dev.svidauth.keycloak.jwt;

import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.AuthenticationMetrics;
import dev.svidauth.keycloak.runtime.BuiltInReplacements;
import dev.svidauth.keycloak.runtime.SvidAuthOptions;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.runtime.SvidAuthenticatorFactoryBase;
import dev.svidauth.keycloak.trustdomain.TrustDomainAuthority;
import org.keycloak.Config;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.broker.spiffe.SpiffeConstants;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
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
 * {@link #getConfigMetadata()}) and builds the {@link SvidAuthRuntime}, which every svid-auth
 * provider shares: as its {@link SvidAuthRuntimes.Owner} it is where {@link SvidAuthRuntimes#of}
 * finds it. {@link #postInit} starts it ({@link SvidAuthRuntimes#start}: the client index and its
 * invalidation on this node and, once the server is up, from the others); {@link #close} closes it.
 */
public final class JwtSvidClientAuthenticatorFactory extends SvidAuthenticatorFactoryBase
        implements ServerInfoAwareProviderFactory, SvidAuthRuntimes.Owner {

    public static final String PROVIDER_ID = SvidMethod.JWT_PROVIDER_ID;
    /** draft-ietf-oauth-spiffe-client-auth assertion type ({@code …:jwt-spiffe}), as Keycloak spells it. */
    public static final String ASSERTION_TYPE_JWT_SPIFFE = SpiffeConstants.CLIENT_ASSERTION_TYPE;
    /** RFC 7523 assertion type ({@code …:jwt-bearer}), used by spiffe-helper style deployments. */
    public static final String ASSERTION_TYPE_JWT_BEARER = OAuth2Constants.CLIENT_ASSERTION_TYPE_JWT;
    /** Token endpoint auth method advertised in discovery (draft-ietf-oauth-spiffe-client-auth section 4). */
    public static final String AUTH_METHOD = SvidMethod.JWT_AUTH_METHOD;
    /** Micrometer counter, exposed by Keycloak's /metrics as {@code svid_auth_client_authentications_total}. */
    public static final String METRIC_AUTHENTICATIONS = AuthenticationMetrics.METRIC_AUTHENTICATIONS;
    /**
     * Server Info key: how many clients of all realms break the trust-domain authority rules; with
     * {@code " <realm>"} appended, the count of one realm that has any.
     */
    public static final String INFO_CONFLICTS = "trust-domain-conflicts";

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
    /** The switches of the replaced built-ins, read with the other options, for Server Info. */
    private BuiltInReplacements replacements = BuiltInReplacements.DEFAULTS;
    private volatile KeycloakSessionFactory sessionFactory;
    /** Server Info's conflict entries and when they were computed: every realm's clients are walked, so at most once every ten seconds. */
    private volatile Map<String, String> conflictInfo;
    private volatile long conflictInfoAt;
    private static final long CONFLICT_INFO_MILLIS = 10_000;

    public JwtSvidClientAuthenticatorFactory() {
        super(SvidMethod.JWT);
    }

    @Override
    public ClientAuthenticator create() {
        return new JwtSvidClientAuthenticator(runtime);
    }

    @Override
    public void init(Config.Scope config) {
        runtime = new SvidAuthRuntime(SvidAuthOptions.read(config));
        replacements = BuiltInReplacements.read(config);
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        sessionFactory = factory;
        SvidAuthRuntimes.start(runtime, factory);
    }

    @Override
    public void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    /** The shared runtime (null before {@link #init}), which {@link SvidAuthRuntimes#of} hands to the other providers. */
    @Override
    public SvidAuthRuntime runtime() {
        return runtime;
    }

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
        String version = JwtSvidClientAuthenticatorFactory.class.getPackage().getImplementationVersion();
        info.put("svid-auth-version", version != null ? version : "development");
        info.put("assertion-types", ASSERTION_TYPE_JWT_SPIFFE + ", " + ASSERTION_TYPE_JWT_BEARER);
        info.put(BuiltInReplacements.CLIENT_VALIDATION, String.valueOf(replacements.clientValidation()));
        info.put(BuiltInReplacements.CLIENT_REGISTRATION, String.valueOf(replacements.clientRegistration()));
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
                    perRealm.put(INFO_CONFLICTS + " " + realm.getName(), n + " (listed by POST /admin/realms/"
                            + realm.getName() + "/svid-auth/diagnose under \"conflicts\")");
                }
            }));
            info.put(INFO_CONFLICTS, String.valueOf(total[0]));
            info.putAll(perRealm);
        } catch (RuntimeException e) {
            info.put(INFO_CONFLICTS, "unavailable: " + e);
        }
        conflictInfo = info;
        conflictInfoAt = now;
        return info;
    }
}
