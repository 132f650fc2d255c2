package dev.svidauth.keycloak.x509;

import dev.svidauth.keycloak.client.ExactClientLookup;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientResolver;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.ClientAuthOutcome;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.trustdomain.KeySourceSelection;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.svid.BundleX509AuthoritySource;
import dev.svidauth.svid.VerifiedX509Svid;
import dev.svidauth.svid.X509SvidVerifier;
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
import org.keycloak.services.x509.X509ClientCertificateLookup;
import org.keycloak.util.BasicAuthHelper;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Authenticates a client by the X.509-SVID it presents as TLS client certificate (RFC 8705 mutual
 * TLS, with SPIFFE trust: draft-ietf-oauth-spiffe-client-auth, {@code spiffe_x509}):
 * <ol>
 *   <li>claim: the request is ours when {@code client_id} (form or Basic header) names a
 *       {@code client-svid-x509} client, or, without {@code client_id}, when the client
 *       certificate's URI SAN is a SPIFFE ID; a request with a {@code client_assertion} never is;</li>
 *   <li>the chain, from Keycloak's {@link X509ClientCertificateLookup} (its own TLS, or the
 *       certificate a trusted proxy forwarded; a forwarded certificate only when Keycloak's proxy
 *       trust is configured, see {@link ProxyCertificateTrust});</li>
 *   <li>the SPIFFE ID of the leaf's one URI SAN, then the client, by the same rules as a JWT-SVID
 *       ({@link SvidClientResolver});</li>
 *   <li>the bundle of that SPIFFE ID's trust domain ({@link KeySourceSelection}: the client's
 *       {@code svid.bundle.uri}, else the trust-domain entry), and the chain verified up to its
 *       X.509 authorities ({@link X509SvidVerifier}), never against Keycloak's truststore;</li>
 *   <li>success: the SPIFFE ID's notes for this client's mappers; with
 *       {@code tls.client.certificate.bound.access.tokens} Keycloak binds the tokens to the
 *       certificate ({@code cnf.x5t#S256}).</li>
 * </ol>
 */
final class X509SvidClientAuthenticator implements ClientAuthenticator {

    private static final Logger LOG = Logger.getLogger(X509SvidClientAuthenticator.class);

    /** Event detail: the SPIFFE ID of the presented X.509-SVID. */
    static final String DETAIL_SPIFFE_ID = "svid_spiffe_id";
    /** Event detail: serial number (hex) of the presented leaf certificate. */
    static final String DETAIL_SERIAL = "svid_certificate_serial";

    private static final X509Certificate[] NONE = new X509Certificate[0];

    private final SvidAuthRuntime runtime;
    private final ProxyCertificateTrust proxyTrust;

    X509SvidClientAuthenticator(SvidAuthRuntime runtime, ProxyCertificateTrust proxyTrust) {
        this.runtime = runtime;
        this.proxyTrust = proxyTrust;
    }

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        long started = System.nanoTime();
        try {
            authenticate(context, started);
        } catch (RuntimeException e) {
            LOG.warn("svid-auth: unexpected error while verifying an X.509-SVID", e);
            fail(context, null, null, null, new SvidRejectedException(Reason.INTERNAL_ERROR,
                    "X.509-SVID could not be verified because of a server error; see the Keycloak log"), started);
        }
    }

    private void authenticate(ClientAuthenticationFlowContext context, long started) {
        HttpRequest request = context.getHttpRequest();
        MultivaluedMap<String, String> form = formParameters(request);
        if (form != null && form.getFirst(OAuth2Constants.CLIENT_ASSERTION) != null) {
            context.attempted(); // a JWT client assertion: client-svid-jwt or client-jwt judge it
            return;
        }
        String clientIdParam = clientId(request, form);
        RealmModel realm = context.getRealm();
        ClientModel named = context.getClient() != null ? context.getClient()
                : ExactClientLookup.byClientId(realm, clientIdParam);
        if (named != null && (!SvidMethod.X509.usedBy(named) || named.isPublicClient())) {
            context.attempted();
            return;
        }
        X509Certificate[] chain;
        // a forwarded certificate without configured proxy trust: from anybody, so never used
        boolean ignored = false;
        try {
            chain = certificateChain(context);
        } catch (GeneralSecurityException e) {
            if (named == null) {
                context.attempted();
                return;
            }
            if (!proxyTrust.ignoresForwardedCertificates()) {
                fail(context, named, null, null, new SvidRejectedException(Reason.BAD_CERTIFICATE,
                        "the client certificate could not be read: " + e.getMessage()), started);
                return;
            }
            chain = NONE; // an unreadable header that would have been ignored anyway
            ignored = true;
        }
        if (chain.length > 0 && proxyTrust.ignoresForwardedCertificates()) {
            ignored = true;
            LOG.debugf("svid-auth: %s", proxyTrust.ignoredReason());
            if (named == null && hasSpiffeUri(chain[0])) {
                // meant for us (no client_id, a SPIFFE certificate): say why it was not used
                fail(context, null, null, null, new SvidRejectedException(Reason.NO_CERTIFICATE,
                        proxyTrust.ignoredReason()), started);
                return;
            }
            chain = NONE;
        }
        if (named == null && (chain.length == 0 || !hasSpiffeUri(chain[0]))) {
            context.attempted(); // no client of ours named, no X.509-SVID presented
            return;
        }
        if (named == null && clientIdParam != null) {
            fail(context, null, chain[0], null, SvidClientResolver.noSuchClient(realm, clientIdParam), started);
            return;
        }
        SpiffeId id = null;
        ClientModel client = named;
        try {
            if (chain.length == 0) {
                throw new SvidRejectedException(Reason.NO_CERTIFICATE, "client '" + named.getClientId()
                        + "' authenticates with an X.509-SVID: present it as TLS client certificate (mutual TLS)"
                        + (ignored ? "; " + proxyTrust.ignoredReason() : ""));
            }
            id = X509SvidVerifier.spiffeId(chain[0]);
            SvidClientResolver.Resolved resolved = new SvidClientResolver(SvidMethod.X509, runtime.clientIndex(),
                    SvidClientResolver.NONE).resolve(realm, id, clientIdParam);
            client = resolved.client();
            SvidClientConfig config = KeySourceSelection.select(realm, client, resolved.config(), id).config();
            URI bundle = config.bundleUri();
            KeySourcePolicy policy = runtime.keySourcePolicy();
            BundleX509AuthoritySource authorities = new BundleX509AuthoritySource(runtime.keySources(),
                    runtime.fetcher(context.getSession()), bundle, id.trustDomain(), url -> policy.requireTransportSecurity(realm, url));
            VerifiedX509Svid verified = runtime.x509Verifier().verify(Arrays.asList(chain), config.policy().clockSkew(), authorities);
            ClientAuthOutcome.succeed(context, runtime, client, verified.notes(), details(verified.spiffeId(), verified.leaf()), started);
            LOG.debugf("svid-auth: client '%s' authenticated by X.509-SVID %s", Printable.value(client.getClientId()), verified.spiffeId());
        } catch (SvidRejectedException e) {
            fail(context, client, chain.length == 0 ? null : chain[0], id, e, started);
        }
    }

    /** The one way out for a refused X.509-SVID: event details, then 401 invalid_client naming the check. */
    private void fail(ClientAuthenticationFlowContext context, ClientModel client, X509Certificate leaf, SpiffeId id,
                      SvidRejectedException rejection, long started) {
        ClientAuthOutcome.fail(context, runtime, SvidMethod.X509, client, id != null ? id.toString() : "unidentified X.509-SVID",
                rejection, details(id, leaf), started);
    }

    /** The event details of an X.509-SVID (sanitized by {@link ClientAuthOutcome}). */
    private static Map<String, String> details(SpiffeId id, X509Certificate leaf) {
        Map<String, String> details = new LinkedHashMap<>();
        if (id != null) {
            details.put(DETAIL_SPIFFE_ID, id.toString());
        }
        if (leaf != null) {
            details.put(DETAIL_SERIAL, leaf.getSerialNumber().toString(16));
        }
        return details;
    }

    /** The chain Keycloak's configured lookup finds: the TLS session's, or a trusted proxy's header. */
    private static X509Certificate[] certificateChain(ClientAuthenticationFlowContext context) throws GeneralSecurityException {
        X509ClientCertificateLookup lookup = context.getSession().getProvider(X509ClientCertificateLookup.class);
        if (lookup == null) {
            throw new GeneralSecurityException("no X509ClientCertificateLookup provider is configured");
        }
        X509Certificate[] chain = lookup.getCertificateChain(context.getHttpRequest());
        return chain == null ? new X509Certificate[0] : chain;
    }

    /** Whether the certificate carries a URI SAN that looks like a SPIFFE ID (the strict check comes later). */
    static boolean hasSpiffeUri(X509Certificate cert) {
        try {
            return X509SvidVerifier.uriSans(cert).stream().anyMatch(uri -> uri.regionMatches(true, 0, "spiffe://", 0, 9));
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    private static MultivaluedMap<String, String> formParameters(HttpRequest request) {
        MediaType type = request.getHttpHeaders().getMediaType();
        return type != null && type.isCompatible(MediaType.APPLICATION_FORM_URLENCODED_TYPE) ? request.getDecodedFormParameters() : null;
    }

    /** {@code client_id} from the form, else from HTTP Basic authentication (client_secret_basic callers). */
    private static String clientId(HttpRequest request, MultivaluedMap<String, String> form) {
        String fromForm = form == null ? null : form.getFirst(OAuth2Constants.CLIENT_ID);
        if (fromForm != null) {
            return fromForm;
        }
        String authorization = request.getHttpHeaders().getHeaderString(HttpHeaders.AUTHORIZATION);
        String[] basic = authorization == null ? null : BasicAuthHelper.RFC6749.parseHeader(authorization);
        return basic == null ? null : basic[0];
    }

    @Override
    public void close() {
    }
}
