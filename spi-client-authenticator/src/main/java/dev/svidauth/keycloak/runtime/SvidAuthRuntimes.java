package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.ClientIndexInvalidation;
import dev.svidauth.keycloak.client.ClusterIndexInvalidation;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidMethod;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.ProviderFactory;

/**
 * Where every svid-auth provider finds the one {@link SvidAuthRuntime} of the server: the
 * {@code client-svid-jwt} factory builds it from its provider options in {@code init} and is its
 * {@link Owner}; the X.509 and WIT authenticators, the diagnostics endpoint, the client validation, the
 * trust-domain page and the registration policy all reach it through {@link #of} (while
 * {@code client-svid-jwt} is disabled, the first of the X.509 and WIT factories to start builds it
 * from its own options and the other shares it).
 * The runtime is found through the session factory, never held in a static field, so that it
 * lives and dies with the provider that owns it.
 */
public final class SvidAuthRuntimes {

    /** The provider factory that builds, starts and closes the shared runtime. */
    public interface Owner {
        /** The runtime, null before the owner's {@code init}. */
        SvidAuthRuntime runtime();
    }

    /** The strict key-source rules (no link-local, no allowlist) while no runtime is running. */
    private static final KeySourcePolicy STRICT_POLICY = SvidAuthOptions.DEFAULTS.keySourcePolicy();

    private SvidAuthRuntimes() {
    }

    /**
     * The server's one runtime, which every svid-auth provider shares: the running
     * {@code client-svid-jwt} provider's, or, while that provider is disabled, the one the first
     * other SVID authenticator factory built ({@link BorrowedRuntime}), so that the X.509 and WIT
     * authenticators never hold two key-source caches and fetch pools; null before any is
     * initialised.
     */
    public static SvidAuthRuntime of(KeycloakSessionFactory factory) {
        for (SvidMethod method : SvidMethod.values()) {
            ProviderFactory<ClientAuthenticator> owner = factory.getProviderFactory(ClientAuthenticator.class, method.providerId());
            SvidAuthRuntime runtime = owner instanceof Owner o ? o.runtime() : null;
            if (runtime != null) {
                return runtime;
            }
        }
        return null;
    }

    /**
     * The key-source policy of the running runtime (it follows its
     * {@code allow-link-local-key-sources} and {@code key-source-allowed-hosts} options), for
     * save-time checks; the strict default before the runtime is initialised.
     */
    public static KeySourcePolicy keySourcePolicy(KeycloakSession session) {
        SvidAuthRuntime runtime = of(session.getKeycloakSessionFactory());
        return runtime != null ? runtime.keySourcePolicy() : STRICT_POLICY;
    }

    /**
     * Starts a runtime: its client index reads from the database and follows client changes on
     * this node and, once the server is up (its cluster provider started), on the others.
     */
    public static void start(SvidAuthRuntime runtime, KeycloakSessionFactory factory) {
        runtime.start(factory);
        factory.register(new ClientIndexInvalidation(runtime.clientIndex()));
        ClusterIndexInvalidation cluster = new ClusterIndexInvalidation(runtime.clientIndex());
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                cluster.register(((PostMigrationEvent) event).getFactory());
            }
        });
    }
}
