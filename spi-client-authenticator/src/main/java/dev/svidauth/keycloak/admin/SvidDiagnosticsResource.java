package dev.svidauth.keycloak.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.keycloak.client.ExactClientLookup;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.jwt.JwtSvidVerification;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.trustdomain.TrustDomainAuthority;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceState;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdPattern;
import dev.svidauth.svid.JwtSvidPeek;
import dev.svidauth.svid.JwtSvidVerifier;
import dev.svidauth.svid.KeySourceKeyResolver;
import dev.svidauth.svid.ParsedJwtSvid;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.Urls;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.urls.UrlType;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /admin/realms/{realm}/svid-auth/diagnose}: runs an SVID through exactly the checks
 * of the token endpoint ({@link JwtSvidVerification}, the token endpoint's audiences) and reports each
 * step, without issuing a token, recording an event or counting a metric, and without consuming
 * single use (the replay step only looks at the single-use store). Key sources are read through
 * the same cache, with the same refresh and rate limits, as authentication.
 *
 * <p>A WIT-SVID ({@code "wit"}, with its proof of possession in {@code "pop"} if at hand) goes
 * through the checks of {@code client-svid-wit} instead ({@link WitSvidDiagnosis}); its PoP's
 * single use is likewise only looked at, so a diagnosis never burns the workload's proof.
 *
 * <p>Every report also lists the realm's trust-domain authority conflicts
 * ({@link TrustDomainAuthority#conflicts}): clients naming their own key source for a trust
 * domain that has an entry, and SPIFFE IDs several clients accept without the entry allowing it.
 *
 * <p>Requires {@code view-clients} of the realm (or a role that implies it). The assertion is
 * never logged.
 */
public final class SvidDiagnosticsResource {

    private static final Logger LOG = Logger.getLogger(SvidDiagnosticsResource.class);

    /**
     * Largest request body read: an SVID (and a PoP) is at most {@value ParsedJwtSvid#MAX_ASSERTION_LENGTH}
     * characters, and a WIT-SVID comes with its PoP.
     */
    static final int MAX_BODY_BYTES = 40 * 1024;

    private static final List<String> STEPS = List.of(JwtSvidVerification.STEP_PARSE, JwtSvidVerification.STEP_CLAIMS,
            JwtSvidVerification.STEP_CLIENT, JwtSvidVerifier.Step.ISSUER.label(), JwtSvidVerifier.Step.AUDIENCE.label(),
            JwtSvidVerifier.Step.TIME.label(), JwtSvidVerifier.Step.SIGNATURE.label(), JwtSvidVerifier.Step.REPLAY.label());

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final SvidAuthRuntime runtime;
    private final WitSvidDiagnosis wits;

    SvidDiagnosticsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, SvidAuthRuntime runtime) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.runtime = runtime;
        this.wits = new WitSvidDiagnosis(runtime, Clock.systemUTC());
    }

    /**
     * The request: {@code {"assertion": "<JWT-SVID>", "client_id": "<optional>"}} or
     * {@code {"wit": "<WIT-SVID>", "pop": "<optional PoP>", "client_id": "<optional>"}}.
     */
    record Request(String assertion, String clientId, String wit, String pop) {

        Request(String assertion, String clientId) {
            this(assertion, clientId, null, null);
        }
    }

    @POST
    @Path("diagnose")
    @Produces(MediaType.APPLICATION_JSON)
    public Response diagnose(InputStream body) {
        auth.clients().requireView();
        Request request;
        try {
            request = read(body);
        } catch (BadRequest e) {
            return error(e.status, e.getMessage());
        }
        try {
            ObjectNode report = request.wit() != null ? witReport(request) : report(request);
            return Response.ok(report.toString(), MediaType.APPLICATION_JSON_TYPE).build();
        } catch (RuntimeException e) {
            LOG.warn("svid-auth: unexpected error while diagnosing an SVID", e);
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("accepted", false);
            out.put("reason", Reason.INTERNAL_ERROR.code());
            out.put("description", "SVID could not be verified because of a server error; see the Keycloak log");
            return Response.ok(out.toString(), MediaType.APPLICATION_JSON_TYPE).build();
        }
    }

    static final class BadRequest extends Exception {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static Response error(int status, String description) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("error", status == 413 ? "request_too_large" : "invalid_request");
        out.put("error_description", description);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(out.toString()).build();
    }

    static Request read(InputStream body) throws BadRequest {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : body.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new BadRequest(400, "the request body could not be read");
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new BadRequest(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        JsonNode tree;
        try {
            tree = bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new BadRequest(400, "the request body is not valid JSON: " + Printable.printable(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new BadRequest(400, "the request body is not valid JSON");
        }
        if (tree == null || !tree.isObject()) {
            throw new BadRequest(400, "the request body must be a JSON object {\"assertion\": \"<JWT-SVID>\", \"client_id\": \"<optional>\"}"
                    + " or {\"wit\": \"<WIT-SVID>\", \"pop\": \"<optional PoP>\", \"client_id\": \"<optional>\"}");
        }
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!MEMBERS.contains(name)) {
                throw new BadRequest(400, "unknown member '" + Printable.printable(name) + "'; expected " + String.join(", ", MEMBERS));
            }
        }
        JsonNode clientId = tree.get("client_id");
        if (clientId != null && !clientId.isNull() && (!clientId.isTextual() || clientId.textValue().isEmpty())) {
            throw new BadRequest(400, "'client_id' must be a non-empty string when present");
        }
        String client = clientId == null || clientId.isNull() ? null : clientId.textValue();
        if (tree.has("wit")) {
            if (tree.has("assertion")) {
                throw new BadRequest(400, "send either 'assertion' (a JWT-SVID) or 'wit' (a WIT-SVID), not both");
            }
            JsonNode pop = tree.get("pop");
            if (pop != null && !pop.isNull() && (!pop.isTextual() || pop.textValue().isEmpty())) {
                throw new BadRequest(400, "'pop' must be a non-empty string when present: the WIT-SVID's proof of possession");
            }
            return new Request(null, client, text(tree, "wit", "the WIT-SVID"), pop == null || pop.isNull() ? null : pop.textValue());
        }
        if (tree.has("pop")) {
            throw new BadRequest(400, "'pop' goes with 'wit': the proof of possession of a WIT-SVID");
        }
        return new Request(text(tree, "assertion", "the JWT-SVID"), client);
    }

    /** The request's members: {@code assertion} or {@code wit} (with {@code pop}), and {@code client_id}. */
    private static final List<String> MEMBERS = List.of("assertion", "wit", "pop", "client_id");

    private static String text(JsonNode tree, String name, String what) throws BadRequest {
        JsonNode value = tree.get(name);
        if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
            throw new BadRequest(400, "'" + name + "' must be a non-empty string: " + what);
        }
        return value.textValue();
    }

    private ObjectNode report(Request request) {
        List<String[]> passed = new ArrayList<>();
        KeySourceKeyResolver[] keys = {null};
        JwtSvidVerification.Observer observer = new JwtSvidVerification.Observer() {
            @Override
            public void passed(String step, String detail) {
                passed.add(new String[]{step, detail});
            }

            @Override
            public void keys(KeySourceKeyResolver resolver) {
                keys[0] = resolver;
            }
        };
        URI base = session.getContext().getUri(UrlType.FRONTEND).getBaseUri();
        JwtSvidVerification.Outcome outcome = new JwtSvidVerification(runtime).verify(session, realm, base, null,
                request.assertion(), request.clientId(), JwtSvidVerification.readOnly(session), observer);

        ObjectNode out = JsonNodeFactory.instance.objectNode();
        SvidRejectedException rejection = outcome.rejection();
        out.put("accepted", outcome.verified() != null);
        out.put("reason", rejection == null ? null : rejection.reason().code());
        out.put("description", outcome.verified() != null
                ? "the token endpoint would accept this SVID for client '" + outcome.client().getClientId() + "' now"
                : outcome.deferred() ? "the SPIFFE ID belongs to a client of Keycloak's own federated-jwt authenticator;"
                + " svid-auth leaves this SVID to it" : Printable.text(rejection.getMessage()));
        out.put("client_id", outcome.client() == null ? null : outcome.client().getClientId());
        out.set("candidates", candidates(SvidMethod.JWT, outcome.svid() == null ? null : outcome.svid().spiffeId(), request.clientId()));

        ArrayNode steps = out.putArray("steps");
        for (String[] step : passed) {
            steps.addObject().put("step", step[0]).put("ok", true).put("detail", Printable.text(step[1]));
        }
        if (rejection != null) {
            steps.addObject().put("step", failedStep(passed, rejection)).put("ok", false).put("detail", Printable.text(rejection.getMessage()));
        }
        out.set("key_source", keySource(outcome, keys[0]));
        ArrayNode conflicts = out.putArray("conflicts");
        TrustDomainAuthority.conflicts(realm).forEach(conflicts::add);
        ObjectNode svid = out.putObject("svid");
        svid.set("header", JwtSvidPeek.peekJson(request.assertion(), 0));
        svid.set("claims", JwtSvidPeek.peekJson(request.assertion(), 1));
        LOG.debugf("svid-auth: diagnosed an SVID of %s in realm '%s': %s", outcome.svid() == null ? "an unreadable subject"
                : outcome.svid().spiffeId(), realm.getName(), rejection == null ? "accepted" : rejection.reason().code());
        return out;
    }

    /**
     * The report of a WIT-SVID, in the JWT-SVID report's shape: verdict, steps, candidates among
     * {@code client-svid-wit} clients, the bundle's cached {@code wit-svid} key ids, and the header
     * and claims of the WIT-SVID and of the PoP (never a signature).
     */
    private ObjectNode witReport(Request request) {
        URI base = session.getContext().getUri(UrlType.FRONTEND).getBaseUri();
        WitSvidDiagnosis.Outcome outcome = wits.run(session, realm, Urls.realmIssuer(base, realm.getName()), request.wit(),
                request.pop(), request.clientId());
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        SvidRejectedException rejection = outcome.rejection();
        out.put("accepted", outcome.accepted());
        out.put("reason", rejection == null ? null : rejection.reason().code());
        out.put("description", outcome.accepted()
                ? "the token endpoint would accept this WIT-SVID with this proof of possession for client '"
                + outcome.client().getClientId() + "' now (this diagnosis did not use the PoP up)"
                : Printable.text(rejection.getMessage()));
        out.put("client_id", outcome.client() == null ? null : outcome.client().getClientId());
        out.set("candidates", candidates(SvidMethod.WIT, outcome.wit() == null ? null : outcome.wit().spiffeId(), request.clientId()));
        ArrayNode steps = out.putArray("steps");
        for (String[] step : outcome.passed()) {
            steps.addObject().put("step", step[0]).put("ok", true).put("detail", Printable.text(step[1]));
        }
        if (rejection != null) {
            steps.addObject().put("step", outcome.failedStep()).put("ok", false).put("detail", Printable.text(rejection.getMessage()));
        }
        out.set("key_source", outcome.bundle() == null ? null : witKeySource(outcome.bundle()));
        ArrayNode conflicts = out.putArray("conflicts");
        TrustDomainAuthority.conflicts(realm).forEach(conflicts::add);
        ObjectNode svid = out.putObject("svid");
        svid.set("header", JwtSvidPeek.peekJson(request.wit(), 0));
        svid.set("claims", JwtSvidPeek.peekJson(request.wit(), 1));
        if (request.pop() != null) {
            ObjectNode pop = out.putObject("pop");
            pop.set("header", JwtSvidPeek.peekJson(request.pop(), 0));
            pop.set("claims", JwtSvidPeek.peekJson(request.pop(), 1));
        }
        LOG.debugf("svid-auth: diagnosed a WIT-SVID of %s in realm '%s': %s", outcome.wit() == null ? "an unreadable subject"
                : outcome.wit().spiffeId(), realm.getName(), rejection == null ? "accepted" : rejection.reason().code());
        return out;
    }

    /** What the key cache holds of a bundle's {@code wit-svid} keys; never fetches. */
    private ObjectNode witKeySource(URI bundle) {
        KeySourceState state = runtime.keySources().state(bundle);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("url", bundle.toString());
        ArrayNode kids = out.putArray("kids");
        if (state != null) {
            state.witKids().forEach(kid -> kids.add(Printable.value(kid)));
        }
        out.put("fetched_at", state == null || state.fetchedAt() == null ? null : state.fetchedAt().toString());
        out.put("next_refresh", state == null || state.nextRefresh() == null ? null : state.nextRefresh().toString());
        if (state != null && state.lastFailure() != null) {
            out.put("last_error", Printable.text(state.lastFailure()));
        }
        return out;
    }

    /** The step that refused: the one after the last that passed; parse problems of claims are the claims step. */
    static String failedStep(List<String[]> passed, SvidRejectedException rejection) {
        if (passed.isEmpty()) {
            String message = rejection.getMessage() == null ? "" : rejection.getMessage();
            return rejection.reason() == Reason.BAD_SPIFFE_ID || message.contains(" claim")
                    ? JwtSvidVerification.STEP_CLAIMS : JwtSvidVerification.STEP_PARSE;
        }
        int last = STEPS.indexOf(passed.get(passed.size() - 1)[0]);
        return STEPS.get(Math.min(last + 1, STEPS.size() - 1));
    }

    /**
     * The clients that could take this SVID, with what matched: the client named by
     * {@code client_id}, a client whose client ID is the SPIFFE ID, and the most specific
     * {@code svid.spiffe.id} matches of the realm's index.
     */
    private ArrayNode candidates(SvidMethod method, SpiffeId id, String clientIdParam) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        if (id == null) {
            return out;
        }
        Map<String, String> found = new LinkedHashMap<>();
        if (clientIdParam != null) {
            addCandidate(found, method, ExactClientLookup.byClientId(realm, clientIdParam), id);
        }
        addCandidate(found, method, ExactClientLookup.byClientId(realm, id.toString()), id);
        for (String clientId : runtime.clientIndex().lookup(realm, method, id).clientIds()) {
            addCandidate(found, method, ExactClientLookup.byClientId(realm, clientId), id);
        }
        found.forEach((clientId, pattern) -> out.addObject().put("client_id", clientId).put("pattern", pattern));
        return out;
    }

    private static void addCandidate(Map<String, String> found, SvidMethod method, ClientModel client, SpiffeId id) {
        if (client == null || found.containsKey(client.getClientId()) || !method.usedBy(client)) {
            return;
        }
        if (client.getClientId().equals(id.toString())) {
            found.put(client.getClientId(), "client ID " + client.getClientId());
            return;
        }
        for (SpiffeIdPattern p : SvidClientConfig.spiffeIds(client.getAttribute(SvidClientConfig.SPIFFE_ID))) {
            if (p.matches(id)) {
                found.put(client.getClientId(), p.toString());
                return;
            }
        }
    }

    /** What the key cache holds for the client's key source; never fetches. Null when no client was resolved. */
    private ObjectNode keySource(JwtSvidVerification.Outcome outcome, KeySourceKeyResolver keys) {
        if (outcome.resolved() == null) {
            return null;
        }
        SvidClientConfig config = outcome.resolved().config();
        URI url = keys != null && keys.resolvedSource() != null ? keys.resolvedSource() : config.jwksUri();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (url == null) {
            out.putNull("url");
            if (config.policy().issuer() != null) {
                out.put("discovery", KeySourceCache.discoveryUrl(config.policy().issuer()).toString());
            }
            out.putArray("kids");
            out.putNull("fetched_at");
            out.putNull("next_refresh");
            return out;
        }
        KeySourceState state = runtime.keySources().state(url);
        out.put("url", url.toString());
        ArrayNode kids = out.putArray("kids");
        if (state != null) {
            state.kids().forEach(kid -> kids.add(Printable.value(kid)));
        }
        out.put("fetched_at", state == null || state.fetchedAt() == null ? null : state.fetchedAt().toString());
        out.put("next_refresh", state == null || state.nextRefresh() == null ? null : state.nextRefresh().toString());
        if (state != null && state.lastFailure() != null) {
            out.put("last_error", Printable.text(state.lastFailure()));
        }
        return out;
    }
}
