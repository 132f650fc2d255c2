package dev.svidauth.keycloak;

import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceAddressGuard;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.svid.SvidVerifier;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import dev.svidauth.svid.VerifiedSignatureCache;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.common.crypto.CryptoIntegration;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.authentication.ClientAuthenticatorFactory;
import org.keycloak.authentication.ConfigurableAuthenticatorFactory;
import org.keycloak.connections.httpclient.HttpClientProvider;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code client-svid-jwt} client authenticator: workloads authenticate with the JWT-SVID
 * SPIRE gave them, sent as an OAuth {@code client_assertion}.
 *
 * <p>Holds what must outlive a request: the key-source cache (one per URL, shared by every client
 * naming it), the SPIFFE ID to client index, and the small thread pool that refreshes keys in the
 * background. The authenticators it creates are stateless.
 *
 * <p>Provider options ({@code --spi-client-authenticator--client-svid-jwt--<name>=<value>}):
 * {@code key-source-connect-timeout} and {@code key-source-read-timeout} (ms, default 2000 and
 * 5000), {@code key-source-max-bytes} (default 524288), {@code index-ttl} (s, default 60),
 * {@code allow-link-local-key-sources} (default false: key sources on link-local and cloud-metadata
 * addresses are refused when a client is saved and when keys are fetched; see
 * {@link KeySourceAddressGuard}).
 * {@code signature-cache-size} (SVIDs whose verified signature is remembered, default 10000; 0
 * verifies every presentation).
 */
public final class SvidClientAuthenticatorFactory implements ClientAuthenticatorFactory, ServerInfoAwareProviderFactory {

    private static final Logger LOG = Logger.getLogger(SvidClientAuthenticatorFactory.class);

    public static final String PROVIDER_ID = "client-svid-jwt";
    /** draft-ietf-oauth-spiffe-client-auth assertion type. */
    public static final String ASSERTION_TYPE_JWT_SPIFFE = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
    /** RFC 7523 assertion type, used by spiffe-helper style deployments. */
    public static final String ASSERTION_TYPE_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** Token endpoint auth method advertised in discovery (draft-ietf-oauth-spiffe-client-auth section 4). */
    public static final String AUTH_METHOD = "spiffe_jwt";
    /** Micrometer counter, exposed by Keycloak's /metrics as {@code svid_auth_client_authentications_total}. */
    public static final String METRIC_AUTHENTICATIONS = "svid_auth_client_authentications";

    private static final List<ProviderConfigProperty> CLIENT_PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(SvidClientConfig.SPIFFE_ID).label("svidSpiffeId").helpText("svidSpiffeIdHelp")
            .type(ProviderConfigProperty.STRING_TYPE).required(true).add()
            .property().name(SvidClientConfig.JWKS_URI).label("svidJwksUri").helpText("svidJwksUriHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.ISSUER).label("svidIssuer").helpText("svidIssuerHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.AUDIENCES).label("svidAudiences").helpText("svidAudiencesHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .property().name(SvidClientConfig.MAX_LIFETIME).label("svidMaxLifetime").helpText("svidMaxLifetimeHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("3600").add()
            .property().name(SvidClientConfig.CLOCK_SKEW).label("svidClockSkew").helpText("svidClockSkewHelp")
            .type(ProviderConfigProperty.STRING_TYPE).defaultValue("30").add()
            .property().name(SvidClientConfig.SINGLE_USE).label("svidSingleUse").helpText("svidSingleUseHelp")
            .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false").add()
            .property().name(SvidClientConfig.ALGORITHMS).label("svidAlgorithms").helpText("svidAlgorithmsHelp")
            .type(ProviderConfigProperty.STRING_TYPE).add()
            .build();

    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration readTimeout = Duration.ofSeconds(5);
    private long maxBytes = 512 * 1024;
    private Duration indexTtl = Duration.ofSeconds(60);
    private KeySourceAddressGuard addressGuard = KeySourceAddressGuard.system(false);
    private int signatureCacheSize = 10_000;

    private final Clock clock = Clock.systemUTC();
    private ExecutorService fetchExecutor;
    /** One thread for TTL refreshes of the client index, so that no request waits for one. */
    private ExecutorService indexExecutor;
    private KeySourceCache keySources;
    private SvidClientIndex clientIndex;
    /** How the index reads a realm's SVID clients: one database query once the server is up (postInit). */
    private DatabaseClientSource clientSource;
    private SvidVerifier verifier;
    private Meter.MeterProvider<Counter> authentications;
    private VerifiedSignatureCache signatures;
    private Provider ecdsaProvider;

    @Override
    public ClientAuthenticator create() {
        return new SvidClientAuthenticator(this);
    }

    @Override
    public ClientAuthenticator create(KeycloakSession session) {
        return create();
    }

    @Override
    public void init(Config.Scope config) {
        connectTimeout = Duration.ofMillis(config.getLong("key-source-connect-timeout", 2000L));
        readTimeout = Duration.ofMillis(config.getLong("key-source-read-timeout", 5000L));
        maxBytes = config.getLong("key-source-max-bytes", 512L * 1024);
        indexTtl = Duration.ofSeconds(config.getLong("index-ttl", 60L));
        boolean allowLinkLocal = config.getBoolean(KeySourceAddressGuard.ALLOW_OPTION, false);
        addressGuard = KeySourceAddressGuard.system(allowLinkLocal);
        if (allowLinkLocal) {
            LOG.warnf("client-svid-jwt: %s=true: key sources on link-local and cloud-metadata addresses are allowed",
                    KeySourceAddressGuard.ALLOW_OPTION);
        }
        signatureCacheSize = (int) Math.max(0, Math.min(1_000_000, config.getLong("signature-cache-size", 10_000L)));
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1000), r -> {
            Thread t = new Thread(r, "svid-auth-key-fetch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        fetchExecutor = pool;
        Duration wait = connectTimeout.plus(readTimeout).plusSeconds(1);
        ecdsaProvider = ecdsaProvider();
        keySources = new KeySourceCache(new KeySourceCache.Settings(Duration.ofSeconds(30), Duration.ofHours(1),
                Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofHours(24), wait), clock, fetchExecutor, ecdsaProvider);
        ThreadPoolExecutor indexPool = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(100), r -> {
            Thread t = new Thread(r, "svid-auth-index-refresh");
            t.setDaemon(true);
            return t;
        });
        indexPool.allowCoreThreadTimeOut(true);
        indexExecutor = indexPool;
        clientSource = DatabaseClientSource.forServer();
        clientIndex = new SvidClientIndex(clientSource, indexExecutor, clock, indexTtl, Duration.ofSeconds(2));
        signatures = new VerifiedSignatureCache(signatureCacheSize);
        verifier = new SvidVerifier(clock, signatures);
        try {
            authentications = Counter.builder(METRIC_AUTHENTICATIONS)
                    .description("Client authentications with a JWT-SVID, by realm, outcome and reason code")
                    .withRegistry(Metrics.globalRegistry);
        } catch (LinkageError e) {
            LOG.debugf("Micrometer is not available; svid-auth metrics are off (%s)", e);
        }
        LOG.debugf("client-svid-jwt: key source timeouts %s/%s, max %d bytes, ECDSA provider %s", connectTimeout, readTimeout, maxBytes,
                ecdsaProvider != null ? ecdsaProvider.getName() : "JDK default");
    }

    /**
     * Keycloak's own JCA provider (BouncyCastle, or BCFIPS in FIPS mode) for ECDSA, as Keycloak
     * uses for its own signatures: on JDK 17 its P-256 verification is several times faster than
     * the JDK's. Null (the JDK default) when Keycloak's crypto is not set up or lacks ECDSA.
     */
    static Provider ecdsaProvider() {
        try {
            if (!CryptoIntegration.isInitialised()) {
                return null;
            }
            Provider p = CryptoIntegration.getProvider().getBouncyCastleProvider();
            if (p == null) {
                return null;
            }
            for (String alg : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA")) {
                Signature.getInstance(alg, p);
            }
            return p;
        } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
            LOG.debugf("client-svid-jwt: ECDSA signatures checked by the JDK's providers (%s)", e.toString());
            return null;
        }
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        clientSource.start(factory);
        factory.register(new ProviderEventListener() {
            @Override
            public void onEvent(ProviderEvent event) {
                if (event instanceof ClientModel.ClientUpdatedEvent) {
                    ClientModel.ClientUpdatedEvent e = (ClientModel.ClientUpdatedEvent) event;
                    invalidateOnCommit(e.getKeycloakSession(), e.getUpdatedClient());
                } else if (event instanceof ClientModel.ClientRemovedEvent) {
                    ClientModel.ClientRemovedEvent e = (ClientModel.ClientRemovedEvent) event;
                    invalidateOnCommit(e.getKeycloakSession(), e.getClient());
                } else if (event instanceof ClientModel.ClientIdChangeEvent) {
                    ClientModel.ClientIdChangeEvent e = (ClientModel.ClientIdChangeEvent) event;
                    invalidateOnCommit(e.getKeycloakSession(), e.getUpdatedClient());
                }
            }
        });
    }

    /** Drops the realm's index now and again once the change is committed (lookups in between may see either). */
    private void invalidateOnCommit(KeycloakSession session, ClientModel client) {
        String realmId = client.getRealm().getId();
        clientIndex.invalidate(realmId);
        if (session != null) {
            session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                @Override
                protected void commitImpl() {
                    clientIndex.invalidate(realmId);
                }

                @Override
                protected void rollbackImpl() {
                    clientIndex.invalidate(realmId);
                }
            });
        }
    }

    @Override
    public void close() {
        if (fetchExecutor != null) {
            fetchExecutor.shutdownNow();
        }
        if (indexExecutor != null) {
            indexExecutor.shutdownNow();
        }
        if (keySources != null) {
            keySources.clear();
        }
        if (clientIndex != null) {
            clientIndex.clear();
        }
        if (signatures != null) {
            signatures.clear();
        }
    }

    /** Counts one authentication; outcome "success" or "rejected", reason a stable code or "none". */
    void count(String realm, String outcome, String reason) {
        if (authentications != null) {
            authentications.withTags("realm", realm, "outcome", outcome, "reason", reason).increment();
        }
    }

    /** The SSRF guard for key-source URLs, shared with the client validation. */
    KeySourceAddressGuard addressGuard() {
        return addressGuard;
    }

    KeySourceCache keySources() {
        return keySources;
    }

    SvidClientIndex clientIndex() {
        return clientIndex;
    }

    SvidVerifier verifier() {
        return verifier;
    }

    /** A fetcher bound to Keycloak's shared HTTP client (its truststore and proxy settings apply). */
    KeyFetcher fetcher(KeycloakSession session) {
        return new KeycloakKeyFetcher(session.getProvider(HttpClientProvider.class).getHttpClient(), connectTimeout, readTimeout, maxBytes,
                addressGuard);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
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

    @Override
    public List<ProviderConfigProperty> getConfigPropertiesPerClient() {
        return CLIENT_PROPERTIES;
    }

    /**
     * The {@code credentials} of the client's adapter configuration ({@code keycloak.json}, admin
     * console "Action → Download adapter config"): none. An SVID client holds no secret or key
     * that could be written into a file; its workload presents the JWT-SVID SPIRE gives it.
     */
    @Override
    public Map<String, Object> getAdapterConfiguration(KeycloakSession session, ClientModel client) {
        return adapterConfiguration();
    }

    /**
     * The same for Keycloak 26.4 and 26.5, whose {@link ClientAuthenticatorFactory} declares this
     * signature (no session) and whose installation endpoint calls it; without it that endpoint
     * answers 500 ({@link AbstractMethodError}) for an SVID client. Not an {@code @Override}: the
     * interface we compile against (26.7) has only the variant with the session.
     */
    public Map<String, Object> getAdapterConfiguration(ClientModel client) {
        return adapterConfiguration();
    }

    private static Map<String, Object> adapterConfiguration() {
        return Collections.emptyMap();
    }

    @Override
    public Set<String> getProtocolAuthenticatorMethods(String loginProtocol) {
        return OIDCLoginProtocol.LOGIN_PROTOCOL.equals(loginProtocol) ? Set.of(AUTH_METHOD) : Collections.emptySet();
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
        info.put("key-source-timeouts-ms", connectTimeout.toMillis() + "/" + readTimeout.toMillis());
        info.put(KeySourceAddressGuard.ALLOW_OPTION, String.valueOf(addressGuard.allowsLinkLocal()));
        info.put("ecdsa-provider", ecdsaProvider != null ? ecdsaProvider.getName() : "JDK default");
        info.put("signature-cache", signatures == null || !signatures.enabled() ? "off"
                : signatures.size() + " of " + signatureCacheSize + " SVIDs");
        if (clientSource != null) {
            info.put("client-index", clientSource.describe());
        }
        if (keySources != null) {
            keySources.fetchCounts().forEach((url, count) -> info.put("key-source " + url, count + " fetches"));
        }
        return info;
    }
}
