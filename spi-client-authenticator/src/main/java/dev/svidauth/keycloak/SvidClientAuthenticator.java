package dev.svidauth.keycloak;

import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.svid.KeyResolver;
import dev.svidauth.svid.KeySourceKeyResolver;
import dev.svidauth.svid.ParsedSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.VerifiedSvid;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.OAuthErrorException;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.authentication.ClientAuthenticator;
import org.keycloak.authentication.authenticators.client.ClientAuthUtil;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.services.Urls;

import java.net.URI;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Authenticates a client by the JWT-SVID it sends as {@code client_assertion}, in the steps of
 * DESIGN.md "Request flow": claim, parse, claims shape, resolve client, issuer, audience, time,
 * key and signature, replay, success. Every refusal goes through {@link #fail}, which records the
 * event details and answers {@code 401 invalid_client} naming the failed check.
 */
final class SvidClientAuthenticator implements ClientAuthenticator {

    private static final Logger LOG = Logger.getLogger(SvidClientAuthenticator.class);

    /** Event detail: stable reason code of a rejection. */
    static final String DETAIL_REASON = Details.REASON;
    /** Event detail: kid of the SVID's signing key. */
    static final String DETAIL_KID = "svid_kid";

    private static final String OIDC_PATH = "/protocol/" + OIDCLoginProtocol.LOGIN_PROTOCOL;
    private static final String TOKEN_PATH = "/token";
    /** Endpoints below {@value #OIDC_PATH} where Keycloak authenticates clients, besides the token endpoint. */
    private static final Set<String> CLIENT_AUTH_ENDPOINTS = Set.of("/token/introspect", "/revoke", "/ext/par/request",
            "/ext/ciba/auth", "/auth/device", "/logout");

    private final SvidAuthRuntime runtime;

    SvidClientAuthenticator(SvidAuthRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        try {
            authenticate(context);
        } catch (RuntimeException e) {
            // Never a 500 for a client's request: log the defect, answer invalid_client.
            LOG.warn("svid-auth: unexpected error while verifying a JWT-SVID", e);
            fail(context, null, null, new SvidRejectedException(Reason.INTERNAL_ERROR,
                    "SVID could not be verified because of a server error; see the Keycloak log"));
        }
    }

    private void authenticate(ClientAuthenticationFlowContext context) {
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        String type = form.getFirst(OAuth2Constants.CLIENT_ASSERTION_TYPE);
        String assertion = form.getFirst(OAuth2Constants.CLIENT_ASSERTION);
        String clientIdParam = form.getFirst(OAuth2Constants.CLIENT_ID);

        // Step 1: is this assertion ours to judge?
        if (!claims(type, assertion)) {
            ClientModel named = context.getClient() != null ? context.getClient()
                    : clientIdParam != null ? context.getRealm().getClientByClientId(clientIdParam) : null;
            if (named != null && SvidClientResolver.isSvidClient(named) && !named.isPublicClient()) {
                fail(context, named, null, new SvidRejectedException(Reason.MISSING_ASSERTION, "client '"
                        + named.getClientId() + "' authenticates with a JWT-SVID: send client_assertion_type="
                        + ASSERTION_TYPE_HINT + " and the SVID as client_assertion"));
            } else {
                context.attempted();
            }
            return;
        }

        ParsedSvid svid = null;
        ClientModel client = null;
        try {
            svid = ParsedSvid.parse(assertion);
            SvidClientResolver.Resolved resolved = SvidClientResolver.forSession(runtime.clientIndex(), context.getSession())
                    .resolve(context.getRealm(), svid.spiffeId(), clientIdParam);
            if (resolved == null) {
                context.attempted(); // a native federated-jwt client owns this SPIFFE ID
                return;
            }
            client = resolved.client();
            SvidClientConfig config = resolved.config();
            if (!config.errors().isEmpty()) {
                LOG.warnf("svid-auth: client '%s' of realm '%s' has unusable settings: %s", client.getClientId(),
                        context.getRealm().getName(), config.errors());
                throw new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "client '" + client.getClientId()
                        + "' has unusable SVID settings: " + config.errors().stream().map(ConfigError::message).collect(Collectors.joining("; ")));
            }
            requireOwnTrustDomain(client, config, svid.spiffeId());
            VerifiedSvid verified = runtime.verifier().verify(svid, config.policy(), serverAudiences(context, config),
                    keyResolver(context, config), replayGuard(context.getSession(), context.getRealm(), client));
            succeed(context, client, verified);
            runtime.metrics().count(context.getRealm().getName(), "success", "none");
        } catch (SvidRejectedException e) {
            fail(context, client, svid, e);
        }
    }

    private static final String ASSERTION_TYPE_HINT = SvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_SPIFFE;

    /**
     * jwt-spiffe assertions are always ours; jwt-bearer ones only when {@code sub} is a SPIFFE ID,
     * so RFC 7523 private_key_jwt clients keep working through {@code client-jwt}.
     */
    static boolean claims(String type, String assertion) {
        if (assertion == null || type == null) {
            return false;
        }
        if (SvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_SPIFFE.equals(type)) {
            return true;
        }
        if (SvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_BEARER.equals(type)) {
            // A self-signed RFC 7523 assertion (iss == sub) is a private_key_jwt client's, even if
            // its client ID is a SPIFFE ID; SVIDs are issued by the trust domain, never by themselves.
            String[] issSub = ParsedSvid.peekIssuerAndSubject(assertion);
            return issSub != null && issSub[1] != null && issSub[1].startsWith("spiffe://") && !issSub[1].equals(issSub[0]);
        }
        return false;
    }

    /**
     * Keys bound to their trust domain: the client's key source serves the one trust domain of
     * its SPIFFE IDs, and an SVID is verified only with keys of its own trust domain (SPIFFE Trust
     * Domain and Bundle, section 4: a validator uses the bundle of the SVID's trust domain).
     * Checked before any key is fetched, so a client stored with IDs of several trust domains
     * (refused at save since) never lets one trust domain's SPIRE mint another's identities.
     */
    private static void requireOwnTrustDomain(ClientModel client, SvidClientConfig config, SpiffeId id)
            throws SvidRejectedException {
        ConfigError mixed = config.trustDomainError(client.getClientId());
        if (mixed != null) {
            LOG.warnf("svid-auth: client '%s' refused every SVID: %s", client.getClientId(), mixed.message());
            throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "client '" + client.getClientId()
                    + "' cannot verify SVIDs: " + mixed.message());
        }
        if (!config.trustDomains(client.getClientId()).contains(id.trustDomain())) {
            throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "SVID of trust domain '" + id.trustDomain()
                    + "' cannot be verified with the key source of client '" + client.getClientId()
                    + "', which serves trust domain " + config.trustDomains(client.getClientId()));
        }
    }

    /**
     * The audiences this server accepts (RFC 7523 section 3): the realm's issuer URL, its token
     * endpoint URL, and the URL of the endpoint actually called when it is one of the realm's
     * OIDC endpoints that authenticate clients (introspection, revocation, PAR, CIBA, device
     * authorization, logout), as Keycloak's own client-jwt accepts them. With
     * {@code svid.audience.issuer.only} only the issuer, as draft-ietf-oauth-spiffe-client-auth-02
     * section 3 requires.
     */
    private static Set<String> serverAudiences(ClientAuthenticationFlowContext context, SvidClientConfig config) {
        String issuer = Urls.realmIssuer(context.getUriInfo().getBaseUri(), context.getRealm().getName());
        if (config.policy().issuerOnlyAudience()) {
            return Set.of(issuer);
        }
        // = OIDCLoginProtocolService.tokenUrl(base).build(realm), without a second URI build per request
        String token = issuer + OIDC_PATH + TOKEN_PATH;
        String called = calledEndpoint(context.getUriInfo().getRequestUri(), issuer);
        return called == null ? Set.of(issuer, token) : Set.of(issuer, token, issuer + OIDC_PATH + called);
    }

    /** The endpoint of {@link #CLIENT_AUTH_ENDPOINTS} this request was sent to (e.g. {@code /revoke}), else null. */
    static String calledEndpoint(URI requested, String issuer) {
        String path = requested == null ? null : requested.getRawPath();
        String prefix = URI.create(issuer).getRawPath() + OIDC_PATH;
        if (path == null || !path.startsWith(prefix)) {
            return null;
        }
        String endpoint = path.substring(prefix.length());
        return CLIENT_AUTH_ENDPOINTS.contains(endpoint) ? endpoint : null;
    }

    private KeyResolver keyResolver(ClientAuthenticationFlowContext context, SvidClientConfig config) {
        RealmModel realm = context.getRealm();
        KeySourcePolicy policy = runtime.keySourcePolicy();
        return new KeySourceKeyResolver(runtime.keySources(), runtime.fetcher(context.getSession()), config.jwksUri(),
                config.policy().issuer(), url -> policy.requireTransportSecurity(realm, url));
    }

    /**
     * Step 9's store: Keycloak's {@code SingleUseObjectProvider}, whose {@code putIfAbsent} is one
     * atomic conditional write on the cluster-wide replicated {@code actionTokens} cache (with
     * {@code --cache=ispn}), so that of any number of presentations of one SVID on any nodes
     * exactly one is first. The entry is scoped to realm and client ({@link #replayKey}).
     */
    private static ReplayGuard replayGuard(KeycloakSession session, RealmModel realm, ClientModel client) {
        return (key, seconds) -> session.singleUseObjects().putIfAbsent(replayKey(realm.getId(), client.getId(), key), seconds);
    }

    /**
     * The single-use entry of an SVID for one client: realm id + client id (internal, so a renamed
     * client keeps its entries) + the verifier's digest of the SVID. An SVID accepted by two
     * single-use clients is therefore tracked per client: each accepts it once.
     */
    static String replayKey(String realmId, String clientUuid, String svidKey) {
        String digest = svidKey.startsWith(SVID_KEY_PREFIX) ? svidKey.substring(SVID_KEY_PREFIX.length()) : svidKey;
        return SVID_KEY_PREFIX + realmId + "." + clientUuid + "." + digest;
    }

    /** How the verifier's replay keys start. */
    private static final String SVID_KEY_PREFIX = "svid-auth.replay.";

    /**
     * Step 10: bind the client, hand the verified SVID to this client's mappers only (never to
     * Keycloak's user-session copy of client-auth attributes: see {@link ClientBoundSvid}),
     * record the event details.
     */
    private static void succeed(ClientAuthenticationFlowContext context, ClientModel client, VerifiedSvid verified) {
        context.setClient(client);
        EventBuilder event = context.getEvent();
        event.client(client);
        event.detail(Details.CLIENT_ASSERTION_SUB, verified.spiffeId().toString());
        if (verified.svid().issuer() != null) {
            event.detail(Details.CLIENT_ASSERTION_ISSUER, verified.svid().issuer());
        }
        if (verified.keyId() != null) {
            event.detail(DETAIL_KID, verified.keyId());
        }
        ClientBoundSvid.publish(context.getSession(), client, verified.notes());
        LOG.debugf("svid-auth: client '%s' authenticated by SVID %s", client.getClientId(), verified.spiffeId());
        context.success();
    }

    /** The one way out for a refused SVID: event details, then 401 invalid_client naming the check. */
    private void fail(ClientAuthenticationFlowContext context, ClientModel client, ParsedSvid svid,
                      SvidRejectedException rejection) {
        runtime.metrics().count(context.getRealm().getName(), "rejected", rejection.reason().code());
        EventBuilder event = context.getEvent();
        event.detail(DETAIL_REASON, rejection.reason().code());
        if (svid != null) {
            event.detail(Details.CLIENT_ASSERTION_SUB, svid.spiffeId().toString());
            event.detail(Details.CLIENT_ASSERTION_ISSUER, svid.issuer());
            event.detail(DETAIL_KID, svid.kid());
        }
        if (client != null) {
            event.client(client);
        }
        LOG.debugf("svid-auth: SVID rejected (%s): %s", rejection.reason(), rejection.getMessage());
        Response response = ClientAuthUtil.errorResponse(Response.Status.UNAUTHORIZED.getStatusCode(),
                OAuthErrorException.INVALID_CLIENT, rejection.getMessage());
        context.setClient(client != null ? client
                : RejectionOnlyClient.create(svid != null ? svid.spiffeId().toString() : "unidentified SVID"));
        context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, response);
    }

    @Override
    public void close() {
    }
}
