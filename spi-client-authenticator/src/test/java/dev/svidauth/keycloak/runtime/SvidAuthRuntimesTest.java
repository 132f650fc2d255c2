package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.SvidMethod;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderFactory;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One runtime per server, whichever SVID authenticator factory starts first. */
class SvidAuthRuntimesTest {

    /** A factory whose runtime is a {@link BorrowedRuntime}, as the X.509 and WIT factories hold theirs. */
    private static final class Borrowing implements SvidAuthRuntimes.Owner {
        final BorrowedRuntime runtime = new BorrowedRuntime();

        @Override
        public SvidAuthRuntime runtime() {
            return runtime.get();
        }
    }

    /** A session factory that knows only the client authenticator factories it is given (by provider id). */
    private static KeycloakSessionFactory sessionFactory(Map<String, Object> factories) {
        return (KeycloakSessionFactory) Proxy.newProxyInstance(SvidAuthRuntimesTest.class.getClassLoader(),
                new Class<?>[]{KeycloakSessionFactory.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProviderFactory") && args.length == 2 && args[0] == ClientAuthenticator.class) {
                        return factories.get((String) args[1]);
                    }
                    return null; // register(...) and anything else: nothing to do here
                });
    }

    @Test
    void withClientSvidJwtDisabledTheX509AndWitFactoriesShareOneRuntime() {
        Map<String, Object> factories = new HashMap<>();
        KeycloakSessionFactory sessions = sessionFactory(factories);
        Borrowing x509 = new Borrowing();
        Borrowing wit = new Borrowing();
        factories.put(SvidMethod.X509.providerId(), proxyOwner(x509));
        factories.put(SvidMethod.WIT.providerId(), proxyOwner(wit));
        Config.Scope config = new Config.SystemPropertiesScope("svid-auth-runtimes-test.");

        assertThat(SvidAuthRuntimes.of(sessions)).as("none before any postInit").isNull();
        x509.runtime.attach(config, sessions);
        wit.runtime.attach(config, sessions);
        try {
            assertThat(x509.runtime()).isNotNull();
            assertThat(wit.runtime()).as("the WIT factory shares the X.509 factory's runtime").isSameAs(x509.runtime());
            assertThat(SvidAuthRuntimes.of(sessions)).isSameAs(x509.runtime());
        } finally {
            wit.runtime.close();
            x509.runtime.close();
        }
    }

    /** The owner as a {@link ProviderFactory} of client authenticators, as Keycloak hands factories out. */
    private static Object proxyOwner(Borrowing owner) {
        return Proxy.newProxyInstance(SvidAuthRuntimesTest.class.getClassLoader(),
                new Class<?>[]{ProviderFactory.class, SvidAuthRuntimes.Owner.class}, (proxy, method, args) ->
                        method.getName().equals("runtime") ? owner.runtime() : null);
    }
}
