package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.SvidMethod;
import org.keycloak.models.ClientModel;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A stand-in client that exists only to deliver a rejection.
 *
 * <p>Keycloak's {@code ClientAuthenticationFlow} sends an authenticator's challenge only when a
 * client whose {@code clientAuthenticatorType} equals that authenticator is bound to the flow;
 * otherwise every failure collapses into the generic "Invalid client or Invalid client
 * credentials". When an SVID is refused before a client is known (malformed token, unknown or
 * ambiguous SPIFFE ID), this stand-in carries our precise {@code invalid_client} answer. It is
 * disabled, has no attributes, no roles and no secret, and the flow stops at the failure, so it
 * is never used for anything but routing the error response.
 */
final class RejectionOnlyClient {

    private RejectionOnlyClient() {
    }

    /** @param method the authenticator whose challenge the stand-in carries */
    static ClientModel create(String label, SvidMethod authenticator) {
        return (ClientModel) Proxy.newProxyInstance(RejectionOnlyClient.class.getClassLoader(),
                new Class<?>[]{ClientModel.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getClientAuthenticatorType":
                            return authenticator.providerId();
                        case "getClientId":
                        case "getName":
                            return label;
                        case "getId":
                            return "svid-auth-rejected";
                        case "toString":
                            return "RejectionOnlyClient[" + label + "]";
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            return defaultValue(method.getReturnType());
                    }
                });
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == Stream.class) {
            return Stream.empty();
        }
        if (type == Map.class) {
            return Map.of();
        }
        if (type == Set.class) {
            return Set.of();
        }
        if (type == List.class) {
            return List.of();
        }
        return null;
    }
}
