package dev.svidauth.keycloak.wit;

import dev.svidauth.keycloak.client.ExactClientLookup;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientResolver;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.ClientAuthOutcome;
import dev.svidauth.keycloak.runtime.SingleUseStore;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.svid.ParsedWitSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.VerifiedWitSvid;
import dev.svidauth.svid.WitSvidVerifier;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;
import org.keycloak.services.Urls;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Authenticates a client by its WIT-SVID and the proof of possession of the WIT's key: claim
 * (the attestation headers, or a {@code client-svid-wit} client named), parse, resolve the client
 * as for JWT-SVIDs (among {@code client-svid-wit} clients only), the trust domain's bundle, then
 * {@link WitSvidVerifier} (validity, signature by a {@code wit-svid} key, the PoP), then success
 * through {@link ClientAuthOutcome}, as the other two authenticators.
 */
final class WitSvidClientAuthenticator implements ClientAuthenticator {

    private static final Logger LOG = Logger.getLogger(WitSvidClientAuthenticator.class);

    /** draft-ietf-oauth-attestation-based-client-auth: the header that carries the WIT-SVID. */
    static final String ATTESTATION_HEADER = "OAuth-Client-Attestation";
    /** draft-ietf-oauth-attestation-based-client-auth: the header that carries the PoP JWT. */
    static final String POP_HEADER = "OAuth-Client-Attestation-PoP";
    /** Event detail: the WIT-SVID's SPIFFE ID (the X.509-SVID authenticator's name for the same). */
    static final String DETAIL_SPIFFE_ID = "svid_spiffe_id";
    /** Event detail: kid of the WIT-SVID's signing key. */
    static final String DETAIL_KID = "svid_kid";

    private final SvidAuthRuntime runtime;
    private final WitSvidVerifier verifier;

    WitSvidClientAuthenticator(SvidAuthRuntime runtime, WitSvidVerifier verifier) {
        this.runtime = runtime;
        this.verifier = verifier;
    }

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        long started = System.nanoTime();
        try {
            authenticate(context, started);
        } catch (RuntimeException e) {
            LOG.warn("svid-auth: unexpected error while verifying a WIT-SVID", e);
            fail(context, null, null, new SvidRejectedException(Reason.INTERNAL_ERROR,
                    "WIT-SVID could not be verified because of a server error; see the Keycloak log"), started);
        }
    }

    private void authenticate(ClientAuthenticationFlowContext context, long started) {
        HttpRequest request = context.getHttpRequest();
        MultivaluedMap<String, String> form = formParameters(request);
        if (form != null && form.getFirst(OAuth2Constants.CLIENT_ASSERTION) != null) {
            context.attempted(); // a JWT client assertion: client-svid-jwt or client-jwt judge it
            return;
        }
        RealmModel realm = context.getRealm();
        String clientIdParam = form == null ? null : form.getFirst(OAuth2Constants.CLIENT_ID);
        ClientModel named = context.getClient() != null ? context.getClient() : ExactClientLookup.byClientId(realm, clientIdParam);
        if (named != null && (!SvidMethod.WIT.usedBy(named) || named.isPublicClient())) {
            context.attempted();
            return;
        }
        HttpHeaders headers = request.getHttpHeaders();
        List<String> attestations = headers.getRequestHeader(ATTESTATION_HEADER);
        if (attestations == null || attestations.isEmpty()) {
            String misplaced = witInAuthorization(headers);
            if (named != null || misplaced != null) {
                fail(context, named, null, new SvidRejectedException(Reason.MISSING_WIT, (named != null
                        ? "client '" + named.getClientId() + "' authenticates with a WIT-SVID: send it in the " + ATTESTATION_HEADER
                        + " header with its proof of possession in " + POP_HEADER
                        : "no client authentication was sent, but a WIT-SVID came") + (misplaced == null ? ""
                        : "; a WIT-SVID in the Authorization header is never accepted (WIT-SVID spec section 5)")), started);
            } else {
                context.attempted(); // no WIT-SVID, no client of ours named
            }
            return;
        }
        ClientModel client = named;
        ParsedWitSvid wit = null;
        try {
            // precisely one of each header (draft-ietf-oauth-attestation-based-client-auth, validation rules)
            if (attestations.size() != 1) {
                throw new SvidRejectedException(Reason.MALFORMED, "the request carries " + attestations.size() + " "
                        + ATTESTATION_HEADER + " headers; exactly one is accepted");
            }
            List<String> pops = headers.getRequestHeader(POP_HEADER);
            if (pops != null && pops.size() > 1) {
                throw new SvidRejectedException(Reason.BAD_POP, "the request carries " + pops.size() + " " + POP_HEADER
                        + " headers; exactly one is accepted");
            }
            String pop = pops == null || pops.isEmpty() ? null : pops.get(0);
            wit = verifier.parse(attestations.get(0));
            SvidClientResolver.Resolved resolved = WitSvidVerification.client(runtime, realm, wit.spiffeId(), clientIdParam);
            client = resolved.client();
            WitSvidVerification.Keys keys = WitSvidVerification.keys(runtime, context.getSession(), realm, resolved, wit.spiffeId());
            SvidClientConfig config = keys.config();
            String issuer = Urls.realmIssuer(context.getUriInfo().getBaseUri(), realm.getName());
            VerifiedWitSvid verified = verifier.verify(wit, pop, client.getClientId(), issuer, config.policy().clockSkew(),
                    config.popMaxAge(), keys.keys(), scoped(SingleUseStore.consuming(context.getSession()), realm, client));
            Map<String, String> details = new LinkedHashMap<>();
            details.put(DETAIL_SPIFFE_ID, verified.spiffeId().toString());
            details.put(DETAIL_KID, verified.keyId());
            ClientAuthOutcome.succeed(context, runtime, client, verified.notes(), details, started);
            WitKeyBinding.publish(context.getSession(), client, verified.wit().confirmationThumbprint());
            LOG.debugf("svid-auth: client '%s' authenticated by WIT-SVID %s", Printable.value(client.getClientId()), verified.spiffeId());
        } catch (SvidRejectedException e) {
            fail(context, client, wit, e, started);
        }
    }

    /**
     * The single-use entry of a PoP for one client: realm id and client id (internal) before the
     * verifier's digest, under a prefix of its own, so a PoP's {@code jti} never meets a JWT-SVID's.
     */
    static ReplayGuard scoped(ReplayGuard replay, RealmModel realm, ClientModel client) {
        return (key, seconds) -> replay.firstUse(WitSvidVerifier.scopedPopKey(realm.getId(), client.getId(), key), seconds);
    }

    /** A token in the Authorization header that declares itself a WIT-SVID, else null. */
    static String witInAuthorization(HttpHeaders headers) {
        String authorization = headers.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (authorization == null) {
            return null;
        }
        int space = authorization.indexOf(' ');
        String token = (space < 0 ? authorization : authorization.substring(space + 1)).trim();
        return ParsedWitSvid.declaresWit(token) ? token : null;
    }

    /** The one way out for a refused WIT-SVID: event details, then 401 invalid_client naming the check. */
    private void fail(ClientAuthenticationFlowContext context, ClientModel client, ParsedWitSvid wit,
                      SvidRejectedException rejection, long started) {
        Map<String, String> details = new LinkedHashMap<>();
        if (wit != null) {
            details.put(DETAIL_SPIFFE_ID, wit.spiffeId().toString());
            details.put(DETAIL_KID, wit.kid());
        }
        ClientAuthOutcome.fail(context, runtime, SvidMethod.WIT, client,
                wit != null ? wit.spiffeId().toString() : "unidentified WIT-SVID", rejection, details, started);
    }

    private static MultivaluedMap<String, String> formParameters(HttpRequest request) {
        MediaType type = request.getHttpHeaders().getMediaType();
        return type != null && type.isCompatible(MediaType.APPLICATION_FORM_URLENCODED_TYPE) ? request.getDecodedFormParameters() : null;
    }

    @Override
    public void close() {
    }
}
