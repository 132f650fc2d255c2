package dev.svidauth.keycloak.client;

import dev.svidauth.svid.VerifiedJwtSvid;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Carries a verified JWT-SVID from client authentication to the protocol mappers so that its
 * claims reach only tokens of the client that presented it.
 *
 * <p>Why not client-authentication attributes: Keycloak copies those into <em>user-session</em>
 * notes, which every client of the same SSO session sees. A person who signs in to an
 * SVID-authenticated web client and then to an ordinary web app would find the SVID's
 * {@code spiffe_id} and {@code is_agent} claims in the web app's tokens too, misleading every
 * resource server that trusts them. So the authenticator hands nothing to Keycloak's copy:
 * <ol>
 * <li>{@link #publish} keeps the verified SVID's notes for the rest of the request, keyed by the
 *     id of the client it authenticated (a {@link KeycloakSession} attribute: it dies with the
 *     request and is never shared across requests or clients).</li>
 * <li>When a token of that client is built in the same request (every grant: client
 *     credentials, authorization code, refresh, token exchange, CIBA, device code),
 *     {@link #notesFor} finds them by the client of the token's client session, stores them as
 *     that client session's notes (replacing whatever an earlier SVID left there) and returns
 *     them.</li>
 * <li>Where no SVID was presented in the request (userinfo, introspection, a token issued at the
 *     authorization endpoint), {@link #storedNotes} reads the client session's notes: a client
 *     session belongs to exactly one client, so another client of the same user session never
 *     sees them.</li>
 * </ol>
 * Note names are those of {@link VerifiedJwtSvid} ({@link #NOTE_NAMES}).
 */
public final class ClientBoundSvid {

    /** Every note this class writes; a note absent from a newer SVID is removed from the client session. */
    public static final List<String> NOTE_NAMES = List.of(VerifiedJwtSvid.NOTE_SUB, VerifiedJwtSvid.NOTE_ISS,
            VerifiedJwtSvid.NOTE_TRUST_DOMAIN, VerifiedJwtSvid.NOTE_PATH, VerifiedJwtSvid.NOTE_KID, VerifiedJwtSvid.NOTE_CLAIMS);

    private static final String ATTRIBUTE_PREFIX = "svid-auth.verified-svid.";

    private ClientBoundSvid() {
    }

    /** Step 10: the SVID that authenticated {@code client} in this request. */
    public static void publish(KeycloakSession session, ClientModel client, Map<String, String> notes) {
        session.setAttribute(ATTRIBUTE_PREFIX + client.getId(), Map.copyOf(notes));
    }

    /**
     * The SVID notes for a token of {@code clientSession}'s client: the SVID that client presented
     * in this request (then also stored in the client session), else what the client session
     * holds from an earlier request, else none ({@code null} for every name).
     */
    public static Function<String, String> notesFor(KeycloakSession session, AuthenticatedClientSessionModel clientSession) {
        if (clientSession == null || clientSession.getClient() == null) {
            return name -> null;
        }
        @SuppressWarnings("unchecked")
        Map<String, String> current = session == null ? null
                : session.getAttribute(ATTRIBUTE_PREFIX + clientSession.getClient().getId(), Map.class);
        if (current == null) {
            return storedNotes(clientSession);
        }
        for (String name : NOTE_NAMES) {
            String value = current.get(name);
            if (!Objects.equals(value, clientSession.getNote(name))) {
                if (value == null) {
                    clientSession.removeNote(name);
                } else {
                    clientSession.setNote(name, value);
                }
            }
        }
        return current::get;
    }

    /** The SVID notes stored in {@code clientSession} by an earlier token request of its client. */
    public static Function<String, String> storedNotes(AuthenticatedClientSessionModel clientSession) {
        if (clientSession == null) {
            return name -> null;
        }
        return name -> NOTE_NAMES.contains(name) ? clientSession.getNote(name) : null;
    }
}
