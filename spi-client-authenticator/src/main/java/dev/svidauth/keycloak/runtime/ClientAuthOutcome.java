package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.ClientBoundSvid;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.rejection.Printable;
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

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How both SVID authenticators end a request: step 10 (bind the client, hand the verified SVID to
 * this client's mappers only, record the event and the latency) or the one way out for a refused
 * SVID (event details, log line, metrics, {@code 401 invalid_client} naming the failed check).
 *
 * <p>Security decision: a refused caller is told the failed check in words and its reason code
 * ({@link dev.svidauth.rejection.Reason#callerDescription()}), never the rejection's detail, which
 * may name key-source URLs, addresses, exception text, fetched content or other clients' IDs; that
 * detail goes to the event ({@value #DETAIL_REASON_DETAIL}) and the log, where administrators read
 * it. Only the {@value SvidAuthOptions#DETAILED_ERRORS} option, for development, gives callers the
 * detail. Every value written to an answer, an event or a log passes through {@link Printable}.
 */
public final class ClientAuthOutcome {

    private static final Logger LOG = Logger.getLogger(ClientAuthOutcome.class);

    /** Event detail: stable reason code of a rejection. */
    public static final String DETAIL_REASON = Details.REASON;
    /** Event detail: what exactly failed, in words with the values involved (sanitized), for administrators. */
    static final String DETAIL_REASON_DETAIL = "reason_detail";

    private ClientAuthOutcome() {
    }

    /**
     * Binds {@code client}, publishes the SVID's notes for this client's tokens only (never into
     * Keycloak's user-session copy of client-auth attributes: see {@link ClientBoundSvid}), records
     * the event details (sanitized) and the latency.
     */
    public static void succeed(ClientAuthenticationFlowContext context, SvidAuthRuntime runtime, ClientModel client,
                        Map<String, String> notes, Map<String, String> details, long started) {
        context.setClient(client);
        EventBuilder event = context.getEvent();
        event.client(client);
        details(event, details);
        ClientBoundSvid.publish(context.getSession(), client, notes);
        context.success();
        runtime.metrics().record(context.getRealm().getName(), AuthenticationMetrics.SUCCESS, AuthenticationMetrics.NO_REASON,
                System.nanoTime() - started);
    }

    /**
     * Refuses the request: metrics, event details (reason code, the rejection's detail, then
     * {@code details}, all sanitized), a DEBUG log line with the same, and {@code 401 invalid_client}
     * with {@link #callerDescription}. Without a known client a {@link RejectionOnlyClient} of
     * {@code method} carries the answer (labelled {@code subject}).
     */
    public static void fail(ClientAuthenticationFlowContext context, SvidAuthRuntime runtime, SvidMethod method, ClientModel client,
                     String subject, SvidRejectedException rejection, Map<String, String> details, long started) {
        runtime.metrics().record(context.getRealm().getName(), AuthenticationMetrics.REJECTED, rejection.reason().code(),
                System.nanoTime() - started);
        EventBuilder event = context.getEvent();
        String detail = Printable.text(rejection.getMessage());
        event.detail(DETAIL_REASON, rejection.reason().code());
        event.detail(DETAIL_REASON_DETAIL, detail);
        Map<String, String> sanitized = details(event, details);
        if (client != null) {
            event.client(client);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debugf("svid-auth: %s rejected (%s): %s %s", method == SvidMethod.X509 ? "X.509-SVID" : method == SvidMethod.WIT ? "WIT-SVID" : "SVID",
                    rejection.reason(), detail, sanitized);
        }
        Response response = ClientAuthUtil.errorResponse(Response.Status.UNAUTHORIZED.getStatusCode(),
                OAuthErrorException.INVALID_CLIENT, callerDescription(rejection, runtime.options().detailedErrors()));
        context.setClient(client != null ? client : RejectionOnlyClient.create(Printable.value(subject), method));
        context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, response);
    }

    /**
     * What a refused caller reads as {@code error_description}: the failed check and its reason
     * code; with {@code detailed} (the development option) the rejection's full detail, sanitized.
     */
    static String callerDescription(SvidRejectedException rejection, boolean detailed) {
        return detailed ? Printable.text(rejection.getMessage()) : rejection.reason().callerDescription();
    }

    /** Sets each non-null detail on the event, sanitized; returns what was set. */
    private static Map<String, String> details(EventBuilder event, Map<String, String> details) {
        Map<String, String> sanitized = new LinkedHashMap<>();
        details.forEach((name, value) -> {
            if (value != null) {
                String v = Printable.value(value);
                sanitized.put(name, v);
                event.detail(name, v);
            }
        });
        return sanitized;
    }
}
