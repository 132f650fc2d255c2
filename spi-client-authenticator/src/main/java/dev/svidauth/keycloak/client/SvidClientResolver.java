package dev.svidauth.keycloak.client;

import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdIndex;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.keycloak.authentication.authenticators.client.FederatedJWTClientAuthenticator;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Step 4 of the request flow: which client an SVID authenticates, with that client's
 * {@code svid.*} settings read once for the rest of the request. The same rules for both
 * {@link SvidMethod}s; each finds only clients of its own authenticator.
 *
 * <ol>
 *   <li>{@code client_id}, when sent, names the client: it must exist, use the method's
 *       authenticator and accept the SPIFFE ID (its clientId is the SPIFFE ID, or
 *       {@code svid.spiffe.id} matches).</li>
 *   <li>Else a client of the method whose clientId is the SPIFFE ID.</li>
 *   <li>Else the {@code svid.spiffe.id} index: exact beats {@code /*} prefix, the longest prefix
 *       wins, every hit is re-checked against the live client, and a tie is refused
 *       ({@code ambiguous_client}: send client_id).</li>
 *   <li>Nothing found: the SVID is left to Keycloak's {@code federated-jwt} when one of its
 *       clients owns the SPIFFE ID, else refused ({@code unknown_client}).</li>
 * </ol>
 * A disabled client is refused ({@code client_disabled}) whichever rule found it.
 *
 * <p>Every comparison is exact: a client is found by clientId only when its clientId is byte-equal
 * to the one asked for ({@link ExactClientLookup}), whatever the database's collation, because
 * SPIFFE ID paths and client_ids are case-sensitive; the same holds for the {@code federated-jwt}
 * subject a deferral rests on.
 */
public final class SvidClientResolver {

    /** Whether a client of Keycloak's own SPIFFE support ({@code federated-jwt}) owns a SPIFFE ID. */
    @FunctionalInterface
    interface FederatedJwtClients {
        boolean owns(RealmModel realm, SpiffeId id);
    }

    /** The resolved client and its settings, read once. */
    public record Resolved(ClientModel client, SvidClientConfig config) {
    }

    /** No client of Keycloak's own owns any SPIFFE ID: nothing to defer to (the X.509-SVID method). */
    public static final FederatedJwtClients NONE = (realm, id) -> false;

    private final SvidMethod method;
    private final SvidClientIndex index;
    private final FederatedJwtClients federatedJwt;

    public SvidClientResolver(SvidMethod method, SvidClientIndex index, FederatedJwtClients federatedJwt) {
        this.method = method;
        this.index = index;
        this.federatedJwt = federatedJwt;
    }

    /**
     * The JWT-SVID resolver, which asks the session's client store about {@code federated-jwt}
     * clients (Keycloak's own SPIFFE support, for JWT-SVIDs only).
     */
    public static SvidClientResolver forSession(SvidClientIndex index, KeycloakSession session) {
        return new SvidClientResolver(SvidMethod.JWT, index, (realm, id) -> ownedByFederatedJwt(session.clients()
                .searchClientsByAttributes(realm, Map.of(FederatedJWTClientAuthenticator.JWT_CREDENTIAL_SUBJECT_KEY, id.toString()), null, null), id));
    }

    /**
     * Whether one of {@code found} (the clients the database matched by subject) is a
     * {@code federated-jwt} client whose subject is {@code id} exactly. The database may match
     * attribute values case-insensitively, and a case variant of a SPIFFE ID is another workload:
     * deferring to its owner would hand the SVID to a client that never accepted it.
     */
    static boolean ownedByFederatedJwt(Stream<ClientModel> found, SpiffeId id) {
        String subject = id.toString();
        return found.anyMatch(c -> FederatedJWTClientAuthenticator.PROVIDER_ID.equals(c.getClientAuthenticatorType())
                && subject.equals(c.getAttribute(FederatedJWTClientAuthenticator.JWT_CREDENTIAL_SUBJECT_KEY)));
    }

    /**
     * @param clientIdParam the request's {@code client_id}, or null
     * @return the client and its settings; null only to defer to Keycloak's federated-jwt
     */
    public Resolved resolve(RealmModel realm, SpiffeId id, String clientIdParam) throws SvidRejectedException {
        Resolved resolved;
        if (clientIdParam != null) {
            ClientModel client = ExactClientLookup.byClientId(realm, clientIdParam);
            if (client == null) {
                throw noSuchClient(realm, clientIdParam);
            }
            if (!method.usedBy(client)) {
                throw new SvidRejectedException(Reason.WRONG_AUTH_METHOD, "client '" + client.getClientId()
                        + "' does not use " + method.providerId() + " authentication");
            }
            resolved = read(client);
            if (!accepts(resolved, id)) {
                throw new SvidRejectedException(Reason.SPIFFE_ID_MISMATCH, "SPIFFE ID '" + id
                        + "' is not accepted by client '" + client.getClientId() + "' (svid.spiffe.id)");
            }
        } else {
            // A client named by the SPIFFE ID comes first; skip the lookup only when the index
            // proves it would miss (misses are not cached by Keycloak: each is a database query).
            ClientModel named = index.mayHaveClientNamed(realm, method, id) ? ExactClientLookup.byClientId(realm, id.toString()) : null;
            if (named != null && method.usedBy(named)) {
                resolved = read(named);
            } else {
                resolved = lookup(realm, id);
                if (resolved == null) {
                    return null;
                }
            }
        }
        if (!resolved.client().isEnabled()) {
            throw new SvidRejectedException(Reason.CLIENT_DISABLED, "client '" + resolved.client().getClientId() + "' is disabled");
        }
        return resolved;
    }

    /** The refusal of a {@code client_id} that names no client of the realm. */
    public static SvidRejectedException noSuchClient(RealmModel realm, String clientIdParam) {
        return new SvidRejectedException(Reason.UNKNOWN_CLIENT, "client_id '" + Printable.printable(clientIdParam)
                + "' is not a client of realm '" + realm.getName() + "'");
    }

    private Resolved lookup(RealmModel realm, SpiffeId id) throws SvidRejectedException {
        SpiffeIdIndex.Matches matches = index.lookup(realm, method, id);
        List<Resolved> live = new ArrayList<>(matches.clientIds().size());
        for (String clientId : matches.clientIds()) {
            ClientModel c = ExactClientLookup.byClientId(realm, clientId);
            if (c != null && method.usedBy(c)) {
                Resolved r = read(c);
                if (accepts(r, id)) {
                    live.add(r);
                }
            }
        }
        if (live.size() == 1) {
            return live.get(0);
        }
        if (live.size() > 1) {
            List<String> names = new ArrayList<>();
            live.forEach(r -> names.add(Printable.printable(r.client().getClientId())));
            throw new SvidRejectedException(Reason.AMBIGUOUS_CLIENT, "SPIFFE ID '" + id + "' is accepted by "
                    + live.size() + " clients " + names + " equally; send client_id to choose one");
        }
        if (federatedJwt.owns(realm, id)) {
            return null;
        }
        throw new SvidRejectedException(Reason.UNKNOWN_CLIENT, "no client of realm '" + realm.getName()
                + "' accepts SPIFFE ID '" + id + "' (set svid.spiffe.id on a " + method.providerId()
                + " client, or send client_id)");
    }

    private Resolved read(ClientModel client) {
        return new Resolved(client, SvidClientConfig.read(method, client.getAttributes()));
    }

    /** The clientId is the SPIFFE ID, or svid.spiffe.id matches it (an unparsable value accepts nothing). */
    private static boolean accepts(Resolved resolved, SpiffeId id) {
        if (resolved.client().getClientId().equals(id.toString())) {
            return true;
        }
        for (SpiffeIdPattern p : resolved.config().spiffeIds()) {
            if (p.matches(id)) {
                return true;
            }
        }
        return false;
    }
}
