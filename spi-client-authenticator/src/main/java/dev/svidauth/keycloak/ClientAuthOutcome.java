package dev.svidauth.keycloak;

import dev.svidauth.rejection.SvidRejectedException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.OAuthErrorException;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.authentication.authenticators.client.ClientAuthUtil;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.models.ClientModel;

import java.util.Map;
import java.util.function.Consumer;

/**
 * How both SVID authenticators end a request: step 10 (bind the client, hand the verified SVID to
 * this client's mappers only, record the event and the latency) or the one way out for a refused
 * SVID (event details, metrics, {@code 401 invalid_client} naming the failed check).
 */
final class ClientAuthOutcome {

    private static final Logger LOG = Logger.getLogger(ClientAuthOutcome.class);

    /** Event detail: stable reason code of a rejection. */
    static final String DETAIL_REASON = Details.REASON;

    private ClientAuthOutcome() {
    }

    /**
     * Binds {@code client}, publishes the SVID's notes for this client's tokens only (never into
     * Keycloak's user-session copy of client-auth attributes: see {@link ClientBoundSvid}), records
     * the event details and the latency.
     */
    static void succeed(ClientAuthenticationFlowContext context, SvidAuthRuntime runtime, ClientModel client,
                        Map<String, String> notes, Consumer<EventBuilder> details, long started) {
        context.setClient(client);
        EventBuilder event = context.getEvent();
        event.client(client);
        details.accept(event);
        ClientBoundSvid.publish(context.getSession(), client, notes);
        context.success();
        runtime.metrics().record(context.getRealm().getName(), AuthenticationMetrics.SUCCESS, AuthenticationMetrics.NO_REASON,
                System.nanoTime() - started);
    }

    /**
     * Refuses the request: metrics, event details (reason code, then {@code details}), and
     * {@code 401 invalid_client} with the rejection's message. Without a known client a
     * {@link RejectionOnlyClient} of {@code method} carries the answer (labelled {@code subject}).
     */
    static void fail(ClientAuthenticationFlowContext context, SvidAuthRuntime runtime, SvidMethod method, ClientModel client,
                     String subject, SvidRejectedException rejection, Consumer<EventBuilder> details, long started) {
        runtime.metrics().record(context.getRealm().getName(), AuthenticationMetrics.REJECTED, rejection.reason().code(),
                System.nanoTime() - started);
        EventBuilder event = context.getEvent();
        event.detail(DETAIL_REASON, rejection.reason().code());
        details.accept(event);
        if (client != null) {
            event.client(client);
        }
        LOG.debugf("svid-auth: %s rejected (%s): %s", method == SvidMethod.X509 ? "X.509-SVID" : "SVID", rejection.reason(),
                rejection.getMessage());
        Response response = ClientAuthUtil.errorResponse(Response.Status.UNAUTHORIZED.getStatusCode(),
                OAuthErrorException.INVALID_CLIENT, rejection.getMessage());
        context.setClient(client != null ? client : RejectionOnlyClient.create(subject, method));
        context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, response);
    }
}
