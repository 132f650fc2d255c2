package dev.svidauth.keycloak.jwt;

import dev.svidauth.keycloak.client.ExactClientLookup;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.ClientAuthOutcome;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.svid.JwtSvidPeek;
import dev.svidauth.svid.ParsedJwtSvid;
import dev.svidauth.svid.VerifiedJwtSvid;
import jakarta.ws.rs.core.MultivaluedMap;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.events.Details;
import org.keycloak.models.ClientModel;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Authenticates a client by the JWT-SVID it sends as {@code client_assertion}, in the steps of
 * docs/DESIGN.md "Request flow": claim, then {@link JwtSvidVerification} (parse, claims shape, resolve
 * client, issuer, audience, time, key and signature, replay), then success. Every refusal goes
 * through {@link #fail}, which records the event details and answers {@code 401 invalid_client}
 * naming the failed check.
 */
final class JwtSvidClientAuthenticator implements ClientAuthenticator {

    private static final Logger LOG = Logger.getLogger(JwtSvidClientAuthenticator.class);

    /** Event detail: stable reason code of a rejection. */
    static final String DETAIL_REASON = ClientAuthOutcome.DETAIL_REASON;
    /** Event detail: the SVID's SPIFFE ID ({@code sub}), under Keycloak's name for an assertion's subject. */
    static final String DETAIL_SUB = Details.CLIENT_ASSERTION_SUB;
    /** Event detail: the SVID's {@code iss}, under Keycloak's name for an assertion's issuer. */
    static final String DETAIL_ISSUER = Details.CLIENT_ASSERTION_ISSUER;
    /** Event detail: kid of the SVID's signing key. */
    static final String DETAIL_KID = "svid_kid";

    private final SvidAuthRuntime runtime;
    private final JwtSvidVerification verification;

    JwtSvidClientAuthenticator(SvidAuthRuntime runtime) {
        this.runtime = runtime;
        this.verification = new JwtSvidVerification(runtime);
    }

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        long started = System.nanoTime();
        try {
            authenticate(context, started);
        } catch (RuntimeException e) {
            // Never a 500 for a client's request: log the defect, answer invalid_client.
            LOG.warn("svid-auth: unexpected error while verifying a JWT-SVID", e);
            fail(context, null, null, new SvidRejectedException(Reason.INTERNAL_ERROR,
                    "SVID could not be verified because of a server error; see the Keycloak log"), started);
        }
    }

    private void authenticate(ClientAuthenticationFlowContext context, long started) {
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        String type = form.getFirst(OAuth2Constants.CLIENT_ASSERTION_TYPE);
        String assertion = form.getFirst(OAuth2Constants.CLIENT_ASSERTION);
        String clientIdParam = form.getFirst(OAuth2Constants.CLIENT_ID);

        // Step 1: is this assertion ours to judge?
        if (!handlesAssertion(type, assertion)) {
            ClientModel named = context.getClient() != null ? context.getClient()
                    : ExactClientLookup.byClientId(context.getRealm(), clientIdParam);
            if (named != null && SvidMethod.JWT.usedBy(named) && !named.isPublicClient()) {
                fail(context, named, null, new SvidRejectedException(Reason.MISSING_ASSERTION, "client '"
                        + named.getClientId() + "' authenticates with a JWT-SVID: send client_assertion_type="
                        + ASSERTION_TYPE_HINT + " and the SVID as client_assertion"), started);
            } else {
                context.attempted();
            }
            return;
        }

        JwtSvidVerification.Outcome outcome = verification.verify(context.getSession(), context.getRealm(),
                context.getUriInfo().getBaseUri(), context.getUriInfo().getRequestUri(), assertion, clientIdParam,
                JwtSvidVerification.consuming(context.getSession()), JwtSvidVerification.Observer.NONE);
        if (outcome.deferred()) {
            context.attempted(); // a native federated-jwt client owns this SPIFFE ID
        } else if (outcome.rejection() != null) {
            fail(context, outcome.client(), outcome.svid(), outcome.rejection(), started);
        } else {
            succeed(context, outcome.client(), outcome.verified(), started);
        }
    }

    private static final String ASSERTION_TYPE_HINT = JwtSvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_SPIFFE;

    /**
     * jwt-spiffe assertions are always ours; jwt-bearer ones only when {@code sub} is a SPIFFE ID,
     * so RFC 7523 private_key_jwt clients keep working through {@code client-jwt}.
     */
    static boolean handlesAssertion(String type, String assertion) {
        if (assertion == null || type == null) {
            return false;
        }
        if (JwtSvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_SPIFFE.equals(type)) {
            return true;
        }
        if (JwtSvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_BEARER.equals(type)) {
            // A self-signed RFC 7523 assertion (iss == sub) is a private_key_jwt client's, even if
            // its client ID is a SPIFFE ID; SVIDs are issued by the trust domain, never by themselves.
            String[] issSub = JwtSvidPeek.peekIssuerAndSubject(assertion);
            return issSub != null && issSub[1] != null && issSub[1].startsWith("spiffe://") && !issSub[1].equals(issSub[0]);
        }
        return false;
    }

    /** Step 10, with the JWT-SVID's event details. */
    private void succeed(ClientAuthenticationFlowContext context, ClientModel client, VerifiedJwtSvid verified, long started) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put(DETAIL_SUB, verified.spiffeId().toString());
        details.put(DETAIL_ISSUER, verified.svid().issuer());
        details.put(DETAIL_KID, verified.keyId());
        ClientAuthOutcome.succeed(context, runtime, client, verified.notes(), details, started);
        LOG.debugf("svid-auth: client '%s' authenticated by SVID %s", Printable.value(client.getClientId()), verified.spiffeId());
    }

    /**
     * The one way out for a refused SVID: event details (the SVID's subject, and its unsigned
     * issuer and kid, sanitized by {@link ClientAuthOutcome}), then 401 invalid_client naming the check.
     */
    private void fail(ClientAuthenticationFlowContext context, ClientModel client, ParsedJwtSvid svid,
                      SvidRejectedException rejection, long started) {
        Map<String, String> details = new LinkedHashMap<>();
        if (svid != null) {
            details.put(DETAIL_SUB, svid.spiffeId().toString());
            details.put(DETAIL_ISSUER, svid.issuer());
            details.put(DETAIL_KID, svid.kid());
        }
        ClientAuthOutcome.fail(context, runtime, SvidMethod.JWT, client,
                svid != null ? svid.spiffeId().toString() : "unidentified SVID", rejection, details, started);
    }

    @Override
    public void close() {
    }
}
