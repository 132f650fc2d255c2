package dev.svidauth.keycloak.wit;

import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;

/**
 * Carries the key of a verified WIT-SVID from client authentication to the token binding mapper
 * ({@code oidc-svid-wit-key-binding}), so that an access token is bound ({@code cnf.jkt}) to the
 * key that proved possession in this very request, and to no other.
 *
 * <p>Security decisions:
 * <ul>
 * <li>The thumbprint is published only by {@link WitSvidClientAuthenticator} after the whole
 *     verification succeeded (signature, validity, PoP signed by the {@code cnf} key, single use):
 *     an unverified {@code OAuth-Client-Attestation} header never reaches a token.</li>
 * <li>It is a {@link KeycloakSession} attribute: it dies with the request, so a token issued in a
 *     later request (refresh, a token issued at the authorization endpoint) is never bound to a key
 *     that request did not prove.</li>
 * <li>It is keyed by the internal id of the client it authenticated, and read only for a token
 *     whose client session belongs to that client: it never reaches another client's token.</li>
 * </ul>
 */
public final class WitKeyBinding {

    private static final String ATTRIBUTE_PREFIX = "svid-auth.wit-key-thumbprint.";

    private WitKeyBinding() {
    }

    /**
     * Step 10 of a WIT-SVID authentication: {@code thumbprint} is the RFC 7638 SHA-256 thumbprint
     * (base64url) of the verified WIT-SVID's {@code cnf} key, {@code client} the client it authenticated.
     */
    static void publish(KeycloakSession session, ClientModel client, String thumbprint) {
        session.setAttribute(ATTRIBUTE_PREFIX + client.getId(), thumbprint);
    }

    /**
     * The base64url RFC 7638 thumbprint of the WIT-SVID key that authenticated {@code clientSession}'s
     * client in this request, or {@code null} when that client did not authenticate with a WIT-SVID
     * in this request.
     */
    public static String thumbprintFor(KeycloakSession session, AuthenticatedClientSessionModel clientSession) {
        if (session == null || clientSession == null || clientSession.getClient() == null) {
            return null;
        }
        return session.getAttribute(ATTRIBUTE_PREFIX + clientSession.getClient().getId(), String.class);
    }
}
