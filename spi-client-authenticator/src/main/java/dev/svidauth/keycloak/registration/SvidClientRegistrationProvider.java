package dev.svidauth.keycloak.registration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.keycloak.client.ExactClientLookup;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeIdPattern;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.protocol.oidc.OIDCConfigAttributes;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.oidc.OIDCClientRepresentation;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.clientregistration.ClientRegistrationAuth;
import org.keycloak.services.clientregistration.ClientRegistrationContext;
import org.keycloak.services.clientregistration.ClientRegistrationProvider;
import org.keycloak.services.clientregistration.ErrorCodes;
import org.keycloak.services.clientregistration.oidc.OIDCClientRegistrationProvider;
import org.keycloak.services.cors.Cors;
import org.keycloak.util.JsonSerialization;

import java.util.HashMap;
import java.util.Map;

/**
 * OpenID Connect dynamic client registration with the SPIFFE client metadata of
 * draft-ietf-oauth-spiffe-client-auth: {@code token_endpoint_auth_method: spiffe_jwt} or
 * {@code spiffe_x509} (Keycloak maps them to {@code client-svid-jwt} and {@code client-svid-x509},
 * whose factories advertise them), {@code spiffe_id} (exact, or a prefix ending in {@code /*}) and
 * the key source: {@code jwks_uri} (SPIRE's OIDC Discovery Provider) or
 * {@code spiffe_bundle_endpoint} for JWT-SVIDs, {@code spiffe_bundle_endpoint} for X.509-SVIDs.
 *
 * <p>Keycloak's own provider refuses JSON members it does not know, and keeps no place for
 * them. This provider takes the SPIFFE members out of the request, lets Keycloak's
 * {@link OIDCClientRegistrationProvider} do everything else exactly as it does for any client
 * (registration policies, initial and registration access tokens, events, validation), sets the
 * {@code svid.*} attributes on the client it creates or updates, and adds the SPIFFE members to
 * the answer. The {@code svid.*} values are validated as on every admin save: a bad value is
 * {@code 400 invalid_client_metadata} and nothing is stored. Requests without SPIFFE metadata
 * behave exactly as with Keycloak's provider.
 *
 * <p>Registrants supply no key material and take no SPIFFE ID another client holds, unless the
 * realm's {@value SvidRegistrationPolicyFactory#PROVIDER_ID} policy allows it
 * ({@link SvidRegistrationPolicy}, in force by default through {@link RegistrationDefaultsAuth}).
 */
public final class SvidClientRegistrationProvider implements ClientRegistrationProvider {

    /** Client metadata: the SPIFFE ID (or {@code /*} prefix) of the workloads of this client. */
    public static final String SPIFFE_ID = "spiffe_id";
    /** Client metadata: the SPIFFE bundle endpoint of the client's trust domain. */
    public static final String SPIFFE_BUNDLE_ENDPOINT = "spiffe_bundle_endpoint";

    private static final int MAX_BODY = 64 * 1024;

    private final KeycloakSession session;
    private final OIDCClientRegistrationProvider keycloak;
    /** The SPIFFE metadata of the request being served (a provider serves one request). */
    private Metadata metadata = Metadata.NONE;

    SvidClientRegistrationProvider(KeycloakSession session) {
        this.session = session;
        this.keycloak = new OIDCClientRegistrationProvider(session) {
            @Override
            public ClientRepresentation create(ClientRegistrationContext context) {
                apply(context.getClient());
                return super.create(context);
            }

            @Override
            public ClientRepresentation update(String clientId, ClientRegistrationContext context) {
                apply(context.getClient());
                return super.update(clientId, context);
            }
        };
    }

    @OPTIONS
    public Response preflight() {
        return Cors.builder().auth().preflight().allowedMethods("GET", "POST", "PUT", "DELETE", "OPTIONS").add(Response.ok());
    }

    @OPTIONS
    @Path("{clientId}")
    public Response preflightClient() {
        return preflight();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response createOIDC(String body) {
        OIDCClientRepresentation client = read(body);
        return withSpiffeMetadata(keycloak.createOIDC(client));
    }

    @GET
    @Path("{clientId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getOIDC(@PathParam("clientId") String clientId) {
        return withSpiffeMetadata(keycloak.getOIDC(clientId));
    }

    @PUT
    @Path("{clientId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response updateOIDC(@PathParam("clientId") String clientId, String body) {
        OIDCClientRepresentation client = read(body);
        return withSpiffeMetadata(keycloak.updateOIDC(clientId, client));
    }

    @DELETE
    @Path("{clientId}")
    public Response deleteOIDC(@PathParam("clientId") String clientId) {
        // Keycloak's deleteOIDC returns void before 26.6 and a Response after: call what both have.
        keycloak.getEvent().event(EventType.CLIENT_DELETE);
        keycloak.delete(clientId);
        return Cors.builder().auth().allowedMethods("DELETE").add(Response.noContent());
    }

    /** Takes the SPIFFE members out of the request; the rest is read as Keycloak reads it. */
    private OIDCClientRepresentation read(String body) {
        if (body == null || body.length() > MAX_BODY) {
            throw invalid("the registration request must be a JSON object of at most " + MAX_BODY + " characters");
        }
        try {
            JsonNode json = JsonSerialization.mapper.readTree(body);
            if (!(json instanceof ObjectNode)) {
                throw invalid("the registration request must be a JSON object");
            }
            metadata = Metadata.take((ObjectNode) json);
            return JsonSerialization.mapper.treeToValue(json, OIDCClientRepresentation.class);
        } catch (JsonProcessingException e) {
            throw invalid("the registration request is not valid client metadata: " + e.getOriginalMessage());
        }
    }

    /**
     * Sets the {@code svid.*} attributes of a {@code client-svid-jwt} client from the request's
     * SPIFFE metadata, before Keycloak stores it; refuses SPIFFE metadata for other clients.
     */
    private void apply(ClientRepresentation client) {
        SvidMethod method = SvidMethod.of(client.getClientAuthenticatorType());
        if (method == null) {
            if (metadata != Metadata.NONE) {
                throw invalid(SPIFFE_ID + " and " + SPIFFE_BUNDLE_ENDPOINT + " need token_endpoint_auth_method "
                        + SvidMethod.JWT.authMethod() + ", " + SvidMethod.X509.authMethod() + " or " + SvidMethod.WIT.authMethod());
            }
            return;
        }
        if (metadata.spiffeId() == null) {
            throw invalid("token_endpoint_auth_method " + method.authMethod() + " needs " + SPIFFE_ID
                    + ": the workloads' SPIFFE ID, or a prefix ending in /*");
        }
        try {
            SpiffeIdPattern.parse(metadata.spiffeId());
        } catch (InvalidSpiffeIdException e) {
            throw invalid(SPIFFE_ID + ": " + e.getMessage());
        }
        Map<String, String> attributes = client.getAttributes() == null ? new HashMap<>() : new HashMap<>(client.getAttributes());
        attributes.put(SvidClientConfig.SPIFFE_ID, metadata.spiffeId());
        if (method.usesBundle()) {
            // the bundle's x509-svid authorities (or wit-svid keys) verify the SVID; a jwks_uri plays no part
            if (metadata.bundleEndpoint() != null) {
                attributes.put(SvidClientConfig.BUNDLE_URI, metadata.bundleEndpoint());
            }
            client.setAttributes(attributes);
            return;
        }
        String jwksUri = attributes.get(OIDCConfigAttributes.JWKS_URL);
        if (metadata.bundleEndpoint() != null && jwksUri != null) {
            throw invalid("send jwks_uri (SPIRE's OIDC Discovery Provider keys) or " + SPIFFE_BUNDLE_ENDPOINT + ", not both");
        }
        String keySource = metadata.bundleEndpoint() != null ? metadata.bundleEndpoint() : jwksUri;
        if (keySource != null) {
            attributes.put(SvidClientConfig.JWKS_URI, keySource);
        }
        client.setAttributes(attributes);
    }

    /** Adds {@code spiffe_id} and, for a bundle endpoint, {@code spiffe_bundle_endpoint} to Keycloak's answer. */
    private Response withSpiffeMetadata(Response response) {
        if (!(response.getEntity() instanceof OIDCClientRepresentation)) {
            return response;
        }
        OIDCClientRepresentation answer = (OIDCClientRepresentation) response.getEntity();
        ClientModel client = ExactClientLookup.byClientId(session.getContext().getRealm(), answer.getClientId());
        SvidMethod method = client == null ? null : SvidMethod.of(client.getClientAuthenticatorType());
        if (method == null) {
            return response;
        }
        ObjectNode json = JsonSerialization.mapper.valueToTree(answer);
        String spiffeId = client.getAttribute(SvidClientConfig.SPIFFE_ID);
        if (spiffeId != null) {
            json.put(SPIFFE_ID, spiffeId);
        }
        String keySource = client.getAttribute(method.usesBundle() ? SvidClientConfig.BUNDLE_URI : SvidClientConfig.JWKS_URI);
        if (keySource != null && (method.usesBundle() || !keySource.equals(answer.getJwksUri()))) {
            json.put(SPIFFE_BUNDLE_ENDPOINT, keySource);
        }
        return Response.fromResponse(response).entity(json).build();
    }

    private static ErrorResponseException invalid(String description) {
        return new ErrorResponseException(ErrorCodes.INVALID_CLIENT_METADATA, description, Response.Status.BAD_REQUEST);
    }

    /**
     * Keycloak's authorization for this endpoint, followed by the defaults of the
     * {@value SvidRegistrationPolicyFactory#PROVIDER_ID} policy where the realm has no component of
     * it ({@link RegistrationDefaultsAuth}); Keycloak's registration service calls this after
     * {@link #setEvent}, with an authorization built from the same session, provider and event.
     */
    @Override
    public void setAuth(ClientRegistrationAuth auth) {
        keycloak.setAuth(new RegistrationDefaultsAuth(session, this, keycloak.getEvent(), SvidClientRegistrationProviderFactory.PROVIDER_ID));
    }

    @Override
    public ClientRegistrationAuth getAuth() {
        return keycloak.getAuth();
    }

    @Override
    public void setEvent(EventBuilder event) {
        keycloak.setEvent(event);
    }

    @Override
    public EventBuilder getEvent() {
        return keycloak.getEvent();
    }

    @Override
    public void close() {
        keycloak.close();
    }

    /** The SPIFFE members of one registration request. */
    private record Metadata(String spiffeId, String bundleEndpoint) {

        static final Metadata NONE = new Metadata(null, null);

        /** Removes the SPIFFE members from {@code json}; each must be a string when present. */
        static Metadata take(ObjectNode json) {
            String spiffeId = text(json.remove(SPIFFE_ID), SPIFFE_ID);
            String bundle = text(json.remove(SPIFFE_BUNDLE_ENDPOINT), SPIFFE_BUNDLE_ENDPOINT);
            return spiffeId == null && bundle == null ? NONE : new Metadata(spiffeId, bundle);
        }

        private static String text(JsonNode value, String name) {
            if (value == null || value.isNull()) {
                return null;
            }
            if (!value.isTextual() || value.asText().isBlank()) {
                throw invalid(name + " must be a non-empty string");
            }
            return value.asText();
        }
    }
}
