package dev.svidauth.keycloak.jwt;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientResolver;
import dev.svidauth.keycloak.runtime.BoundedMemo;
import dev.svidauth.keycloak.runtime.SingleUseStore;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.trustdomain.KeySourceSelection;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.svid.JwtSvidVerifier;
import dev.svidauth.svid.KeySourceKeyResolver;
import dev.svidauth.svid.ParsedJwtSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.SvidPolicy;
import dev.svidauth.svid.VerifiedJwtSvid;
import org.jboss.logging.Logger;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.services.Urls;

import java.net.URI;
import java.util.Set;

/**
 * Steps 2 to 9 of the request flow for one {@code client_assertion}: parse, claims, client,
 * trust domain, issuer, audience, time, signature, replay. The token endpoint's authenticator and
 * the diagnostics endpoint both run it, so they judge an SVID alike; they differ only in the
 * replay guard they pass (consuming, or a read-only look) and in what they do with the outcome.
 */
public final class JwtSvidVerification {

    private static final Logger LOG = Logger.getLogger(JwtSvidVerification.class);

    public static final String STEP_PARSE = "parse";
    public static final String STEP_CLAIMS = "claims";
    public static final String STEP_CLIENT = "client";

    private static final String OIDC_PATH = "/protocol/" + OIDCLoginProtocol.LOGIN_PROTOCOL;
    private static final String TOKEN_PATH = "/token";
    /** Endpoints below {@value #OIDC_PATH} where Keycloak authenticates clients, besides the token endpoint. */
    private static final Set<String> CLIENT_AUTH_ENDPOINTS = Set.of("/token/introspect", "/revoke", "/ext/par/request",
            "/ext/ciba/auth", "/auth/device", "/logout");

    /** Told what each step found; every method is optional. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /** A step passed ({@code parse}, {@code claims}, {@code client}, then {@link JwtSvidVerifier.Step#label()}). */
        default void passed(String step, String detail) {
        }

        /** The key resolver the signature step uses (to read which key source it consulted). */
        default void keys(KeySourceKeyResolver keys) {
        }
    }

    /**
     * What became of an assertion. Exactly one of: {@link #deferred} (a {@code federated-jwt}
     * client owns the SPIFFE ID), {@link #verified} non-null, {@link #rejection} non-null.
     */
    public record Outcome(ParsedJwtSvid svid, SvidClientResolver.Resolved resolved, VerifiedJwtSvid verified,
                   SvidRejectedException rejection, boolean deferred) {

        public ClientModel client() {
            return resolved == null ? null : resolved.client();
        }
    }

    private final SvidAuthRuntime runtime;

    public JwtSvidVerification(SvidAuthRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * @param requestUri the URL the request was sent to: an SVID of a client with {@code svid.audience.endpoints}
     *                   may name it as audience when it is one of the OIDC endpoints that authenticate
     *                   clients; null for the token endpoint alone
     */
    public Outcome verify(KeycloakSession session, RealmModel realm, URI baseUri, URI requestUri, String assertion,
                   String clientIdParam, ReplayGuard replay, Observer observer) {
        ParsedJwtSvid svid = null;
        SvidClientResolver.Resolved resolved = null;
        try {
            svid = runtime.verifier().parse(assertion);
            // the steps' words are for the diagnostics endpoint; the token endpoint builds none of them
            boolean report = observer != Observer.NONE;
            if (report) {
                observer.passed(STEP_PARSE, "compact JWS, header " + (svid.kid() == null ? "alg " + svid.algorithm()
                        : "alg " + svid.algorithm() + ", kid '" + svid.kid() + "'"));
                observer.passed(STEP_CLAIMS, "sub is the SPIFFE ID " + svid.spiffeId() + "; exp and aud present");
            }
            resolved = SvidClientResolver.forSession(runtime.clientIndex(), session).resolve(realm, svid.spiffeId(), clientIdParam);
            if (resolved == null) {
                return new Outcome(svid, null, null, null, true);
            }
            ClientModel client = resolved.client();
            // the client's own key source, or the trust-domain entry of the SVID's trust domain
            SvidClientConfig config = KeySourceSelection.select(realm, client, resolved.config(), svid.spiffeId()).config();
            if (report) {
                observer.passed(STEP_CLIENT, "client '" + client.getClientId() + "' accepts " + svid.spiffeId()
                        + " (trust domain " + svid.spiffeId().trustDomain() + ")");
            }
            KeySourcePolicy policy = runtime.keySourcePolicy();
            KeySourceKeyResolver keys = new KeySourceKeyResolver(runtime.keySources(), runtime.fetcher(session), config.jwksUri(),
                    config.policy().issuer(), url -> policy.requireTransportSecurity(realm, url), svid.spiffeId().trustDomain());
            observer.keys(keys);
            VerifiedJwtSvid verified = runtime.verifier().verify(svid, config.policy(),
                    serverAudiences(baseUri, realm.getName(), config, requestUri), keys, scoped(replay, realm, client),
                    report ? (step, detail) -> observer.passed(step.label(), detail) : JwtSvidVerifier.Steps.NONE);
            return new Outcome(svid, resolved, verified, null, false);
        } catch (SvidRejectedException e) {
            return new Outcome(svid, resolved, null, e, false);
        }
    }

    /**
     * The audiences of this server a client accepts. By default the realm's issuer URL alone:
     * draft-ietf-oauth-spiffe-client-auth-02 and draft-ietf-oauth-rfc7523bis make the
     * authorization server's issuer identifier the only audience, one value that no endpoint
     * URL can be confused with (the fix for audience-injection attacks). With the client's
     * opt-in {@code svid.audience.endpoints} (or its trust-domain entry's default), also its
     * token endpoint URL and the URL of the endpoint actually called when it is one of the realm's
     * OIDC endpoints that authenticate clients (introspection, revocation, PAR, CIBA, device
     * authorization, logout), as Keycloak's own client-jwt accepts them. {@code svid.audience.issuer.only}
     * states the default and, in addition, refuses extra audiences ({@code svid.audiences}).
     */
    static Set<String> serverAudiences(URI baseUri, String realmName, SvidClientConfig config, URI requestUri) {
        return serverAudiences(RealmUrls.of(baseUri, realmName), config.policy(), requestUri);
    }

    /** {@link #serverAudiences(URI, String, SvidClientConfig, URI)} for a realm's URLs and a client's policy. */
    static Set<String> serverAudiences(RealmUrls urls, SvidPolicy policy, URI requestUri) {
        if (policy.issuerOnlyAudience() || !policy.endpointAudiences()) {
            return urls.issuerOnly();
        }
        String called = calledEndpoint(requestUri, urls.oidcPath());
        return called == null ? urls.issuerAndToken() : Set.of(urls.issuer(), urls.token(), urls.issuer() + OIDC_PATH + called);
    }

    /** The endpoint of {@link #CLIENT_AUTH_ENDPOINTS} this request was sent to (e.g. {@code /revoke}), else null. */
    static String calledEndpoint(URI requested, String oidcPath) {
        String path = requested == null ? null : requested.getRawPath();
        if (path == null || !path.startsWith(oidcPath)) {
            return null;
        }
        String endpoint = path.substring(oidcPath.length());
        return CLIENT_AUTH_ENDPOINTS.contains(endpoint) ? endpoint : null;
    }

    /**
     * A realm's issuer-derived URLs as seen through one base URI (the request's, after Keycloak's
     * hostname settings): built on a realm's first request through that base URI instead of on
     * every request, since Keycloak's URI builder and a URI parse showed in the profile of a
     * cached-SVID request (BENCHMARKS.md, "Where the time goes now"). At most {@value #MAX} kept;
     * more (a server answering to many host names without a fixed hostname) start the map again.
     */
    record RealmUrls(String issuer, String token, String oidcPath, Set<String> issuerOnly, Set<String> issuerAndToken) {

        private static final int MAX = 1024;
        private static final BoundedMemo<String, RealmUrls> BUILT = new BoundedMemo<>(MAX);

        static RealmUrls of(URI baseUri, String realmName) {
            return BUILT.get(realmName + ' ' + baseUri, key -> from(Urls.realmIssuer(baseUri, realmName)));
        }

        /** The URLs of the realm whose issuer is {@code issuer}. */
        static RealmUrls from(String issuer) {
            // = OIDCLoginProtocolService.tokenUrl(base).build(realm) for the token endpoint
            String token = issuer + OIDC_PATH + TOKEN_PATH;
            return new RealmUrls(issuer, token, URI.create(issuer).getRawPath() + OIDC_PATH, Set.of(issuer), Set.of(issuer, token));
        }
    }

    /** The guard for one client: its entries are keyed by realm and client ({@link #replayKey}). */
    static ReplayGuard scoped(ReplayGuard replay, RealmModel realm, ClientModel client) {
        return (key, seconds) -> replay.firstUse(replayKey(realm.getId(), client.getId(), key), seconds);
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
     * The token endpoint's guard: records the SVID in Keycloak's cluster-wide single-use store
     * ({@link SingleUseStore}): one atomic conditional write on a cache kept by two owners (with
     * {@code --cache=ispn}), each entry with a value of its own, so that of any number of
     * presentations of one SVID to one client, on any nodes, also while a node dies, exactly one is first.
     */
    static ReplayGuard consuming(KeycloakSession session) {
        return SingleUseStore.consuming(session);
    }

    /** A look at the single-use store that never records: would this SVID be refused as replayed? */
    public static ReplayGuard readOnly(KeycloakSession session) {
        return (key, seconds) -> !session.singleUseObjects().contains(key);
    }
}
