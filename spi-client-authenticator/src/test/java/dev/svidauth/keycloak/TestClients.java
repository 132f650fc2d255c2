package dev.svidauth.keycloak;

import org.keycloak.models.ClientModel;

import java.lang.reflect.Proxy;
import java.util.Map;

/** Clients for unit tests of the index: only what it reads (clientId, authenticator, attributes). */
final class TestClients {

    private TestClients() {
    }

    static ClientModel client(String clientId, String authenticator, Map<String, String> attributes) {
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
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
