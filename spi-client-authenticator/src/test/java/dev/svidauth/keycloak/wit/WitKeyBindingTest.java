package dev.svidauth.keycloak.wit;

import org.junit.jupiter.api.Test;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-over of a verified WIT-SVID's key thumbprint to the binding mapper: only a token of the
 * client it authenticated, in the same request, sees it.
 */
class WitKeyBindingTest {

    private static final String THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    private final Map<String, Object> requestAttributes = new HashMap<>();
    private final KeycloakSession session = session(requestAttributes);

    @Test
    void theTokenOfTheAuthenticatedClientGetsTheThumbprint() {
        ClientModel workload = client("uuid-workload");
        WitKeyBinding.publish(session, workload, THUMBPRINT);

        assertThat(WitKeyBinding.thumbprintFor(session, clientSession(workload))).isEqualTo(THUMBPRINT);
    }

    @Test
    void anotherClientOfTheSameRequestGetsNone() {
        WitKeyBinding.publish(session, client("uuid-workload"), THUMBPRINT);

        assertThat(WitKeyBinding.thumbprintFor(session, clientSession(client("uuid-web-app")))).isNull();
    }

    @Test
    void anotherRequestGetsNone() {
        ClientModel workload = client("uuid-workload");
        WitKeyBinding.publish(session, workload, THUMBPRINT);

        assertThat(WitKeyBinding.thumbprintFor(session(new HashMap<>()), clientSession(workload))).isNull();
    }

    @Test
    void noSessionOrClientSessionMeansNoBinding() {
        assertThat(WitKeyBinding.thumbprintFor(null, clientSession(client("uuid-workload")))).isNull();
        assertThat(WitKeyBinding.thumbprintFor(session, null)).isNull();
    }

    private static KeycloakSession session(Map<String, Object> attributes) {
        return proxy(KeycloakSession.class, (name, args) -> {
            switch (name) {
                case "setAttribute":
                    attributes.put((String) args[0], args[1]);
                    return null;
                case "getAttribute":
                    return attributes.get((String) args[0]);
                default:
                    throw new UnsupportedOperationException(name);
            }
        });
    }

    private static ClientModel client(String id) {
        return proxy(ClientModel.class, (name, args) -> {
            if ("getId".equals(name)) {
                return id;
            }
            throw new UnsupportedOperationException(name);
        });
    }

    private static AuthenticatedClientSessionModel clientSession(ClientModel client) {
        return proxy(AuthenticatedClientSessionModel.class, (name, args) -> {
            if ("getClient".equals(name)) {
                return client;
            }
            throw new UnsupportedOperationException(name);
        });
    }

    private interface Handler {
        Object handle(String name, Object[] args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Handler handler) {
        return (T) Proxy.newProxyInstance(WitKeyBindingTest.class.getClassLoader(), new Class<?>[]{type},
                (p, method, args) -> {
                    if ("equals".equals(method.getName())) {
                        return p == args[0];
                    }
                    if ("hashCode".equals(method.getName())) {
                        return System.identityHashCode(p);
                    }
                    if ("toString".equals(method.getName())) {
                        return type.getSimpleName();
                    }
                    return handler.handle(method.getName(), args);
                });
    }
}
