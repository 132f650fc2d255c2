package dev.svidauth.keycloak;

import org.keycloak.models.ClientModel;

/**
 * The two ways a SPIFFE workload authenticates, one client authenticator each
 * (draft-ietf-oauth-spiffe-client-auth): with its JWT-SVID as {@code client_assertion}, or with
 * its X.509-SVID over mutual TLS. A client uses exactly one of them (Keycloak binds one client
 * authenticator to a client), so each has its own SPIFFE ID index and its own clients: a JWT-SVID
 * never authenticates an X.509-SVID client, nor the reverse.
 */
public enum SvidMethod {

    /** {@code client-svid-jwt}: a JWT-SVID as {@code client_assertion}; discovery names it {@code spiffe_jwt}. */
    JWT(SvidClientAuthenticatorFactory.PROVIDER_ID, SvidClientAuthenticatorFactory.AUTH_METHOD),
    /** {@code client-svid-x509}: an X.509-SVID as TLS client certificate; discovery names it {@code spiffe_x509}. */
    X509(SvidX509ClientAuthenticatorFactory.PROVIDER_ID, SvidX509ClientAuthenticatorFactory.AUTH_METHOD);

    private final String providerId;
    private final String authMethod;

    SvidMethod(String providerId, String authMethod) {
        this.providerId = providerId;
        this.authMethod = authMethod;
    }

    /** The client authenticator's provider id, a client's {@code clientAuthenticatorType}. */
    public String providerId() {
        return providerId;
    }

    /** The {@code token_endpoint_auth_method} advertised in discovery and used in client registration. */
    public String authMethod() {
        return authMethod;
    }

    /** Whether {@code client} authenticates this way. */
    public boolean usedBy(ClientModel client) {
        return providerId.equals(client.getClientAuthenticatorType());
    }

    /** The method of a {@code clientAuthenticatorType}, or null when it is none of ours. */
    public static SvidMethod of(String clientAuthenticatorType) {
        for (SvidMethod m : values()) {
            if (m.providerId.equals(clientAuthenticatorType)) {
                return m;
            }
        }
        return null;
    }

    /** The method of a {@code token_endpoint_auth_method}, or null when it is none of ours. */
    public static SvidMethod ofAuthMethod(String tokenEndpointAuthMethod) {
        for (SvidMethod m : values()) {
            if (m.authMethod.equals(tokenEndpointAuthMethod)) {
                return m;
            }
        }
        return null;
    }
}
