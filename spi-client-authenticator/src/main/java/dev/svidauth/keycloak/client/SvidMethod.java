package dev.svidauth.keycloak.client;

import org.keycloak.models.ClientModel;

/**
 * The three ways a SPIFFE workload authenticates, one client authenticator each
 * (draft-ietf-oauth-spiffe-client-auth): with its JWT-SVID as {@code client_assertion}, with
 * its X.509-SVID over mutual TLS, or with its WIT-SVID and a proof of possession in the
 * attestation headers. A client uses exactly one of them (Keycloak binds one client
 * authenticator to a client), so each has its own SPIFFE ID index and its own clients: an SVID of
 * one kind never authenticates a client of another.
 */
public enum SvidMethod {

    /** {@code client-svid-jwt}: a JWT-SVID as {@code client_assertion}; discovery names it {@code spiffe_jwt}. */
    JWT(SvidMethod.JWT_PROVIDER_ID, SvidMethod.JWT_AUTH_METHOD),
    /** {@code client-svid-x509}: an X.509-SVID as TLS client certificate; discovery names it {@code spiffe_x509}. */
    X509(SvidMethod.X509_PROVIDER_ID, SvidMethod.X509_AUTH_METHOD),
    /**
     * {@code client-svid-wit}: a WIT-SVID in the {@code OAuth-Client-Attestation} header with its
     * proof of possession in {@code OAuth-Client-Attestation-PoP}; discovery names it {@code spiffe_wit}.
     */
    WIT(SvidMethod.WIT_PROVIDER_ID, SvidMethod.WIT_AUTH_METHOD);

    /** The provider id of the JWT-SVID client authenticator (public contract: a client's {@code clientAuthenticatorType}). */
    public static final String JWT_PROVIDER_ID = "client-svid-jwt";
    /** Token endpoint auth method of JWT-SVIDs in discovery and registration (draft-ietf-oauth-spiffe-client-auth section 4). */
    public static final String JWT_AUTH_METHOD = "spiffe_jwt";
    /** The provider id of the X.509-SVID client authenticator. */
    public static final String X509_PROVIDER_ID = "client-svid-x509";
    /** Token endpoint auth method of X.509-SVIDs in discovery (draft-ietf-oauth-spiffe-client-auth section 5). */
    public static final String X509_AUTH_METHOD = "spiffe_x509";
    /** The provider id of the WIT-SVID client authenticator. */
    public static final String WIT_PROVIDER_ID = "client-svid-wit";
    /** Token endpoint auth method of WIT-SVIDs in discovery and registration (draft-ietf-oauth-spiffe-client-auth-02). */
    public static final String WIT_AUTH_METHOD = "spiffe_wit";

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

    /**
     * Whether the client's key source is the trust domain's SPIFFE bundle ({@code svid.bundle.uri}):
     * its X.509 authorities for X.509-SVIDs, its {@code wit-svid} keys for WIT-SVIDs.
     */
    public boolean usesBundle() {
        return this != JWT;
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
}
