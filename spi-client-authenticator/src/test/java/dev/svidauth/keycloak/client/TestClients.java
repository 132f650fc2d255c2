package dev.svidauth.keycloak.client;

import org.keycloak.models.ClientModel;

import java.lang.reflect.Proxy;
import java.util.Map;

/** Clients for unit tests of the index and the resolver: only what they read (clientId, authenticator, attributes, enabled). */
final class TestClients {

    private TestClients() {
    }

    static ClientModel client(String clientId, String authenticator, Map<String, String> attributes) {
        return client(clientId, authenticator, attributes, true);
    }

    static ClientModel client(String clientId, String authenticator, Map<String, String> attributes, boolean enabled) {
        return (ClientModel) Proxy.newProxyInstance(TestClients.class.getClassLoader(), new Class<?>[] {ClientModel.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getClientId":
                            return clientId;
                        case "getClientAuthenticatorType":
                            return authenticator;
                        case "getAttributes":
                            return attributes;
                        case "getAttribute":
                            return attributes.get((String) args[0]);
                        case "isEnabled":
                            return enabled;
                        case "toString":
                            return "client " + clientId;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
