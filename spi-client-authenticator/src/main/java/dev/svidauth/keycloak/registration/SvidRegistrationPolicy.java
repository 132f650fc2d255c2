package dev.svidauth.keycloak.registration;

import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientIndex;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.trustdomain.TrustDomainAuthority;
import dev.svidauth.keycloak.trustdomain.TrustDomainEntry;
import dev.svidauth.spiffe.SpiffeIdPattern;
import jakarta.ws.rs.core.Response;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.clientregistration.ClientRegistrationContext;
import org.keycloak.services.clientregistration.ClientRegistrationProvider;
import org.keycloak.services.clientregistration.ErrorCodes;
import org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy;
import org.keycloak.services.clientregistration.policy.ClientRegistrationPolicyException;
import org.keycloak.services.clientregistration.policy.ClientRegistrationPolicyManager;
import org.keycloak.services.clientregistration.policy.RegistrationAuth;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a registrant may ask of an SVID client ({@code client-svid-jwt}, {@code client-svid-x509})
 * through dynamic client registration, as a Keycloak client registration policy
 * ({@link SvidRegistrationPolicyFactory}):
 * <ul>
 *   <li><b>No key material by default.</b> A registration naming a key source ({@code jwks_uri},
 *       {@code spiffe_bundle_endpoint}, i.e. {@code svid.jwks.uri}, {@code svid.bundle.uri},
 *       {@code svid.issuer}) is refused unless every trust domain of its SPIFFE IDs has a
 *       trust-domain entry whose own key source it is, or the policy allows registrant key
 *       sources. Otherwise a registrant could sign SVIDs for any SPIFFE ID, an existing client's
 *       included, with its own key and obtain tokens carrying that identity.</li>
 *   <li><b>No SPIFFE ID another client holds, by default.</b> A registration whose SPIFFE IDs
 *       overlap those of another client of the same authentication method is refused, even where
 *       the trust domain's entry allows sharing for administrators, unless the policy allows it.
 *       Otherwise a registrant could make the genuine workload's requests without
 *       {@code client_id} fail with {@code ambiguous_client}.</li>
 * </ul>
 * The client validation that runs on every save applies the realm-wide rules
 * ({@link TrustDomainAuthority}) on top; this policy only narrows what registrants may do.
 */
final class SvidRegistrationPolicy implements ClientRegistrationPolicy {

    private final KeycloakSession session;
    private final boolean allowKeySources;
    private final boolean allowShared;

    SvidRegistrationPolicy(KeycloakSession session, boolean allowKeySources, boolean allowShared) {
        this.session = session;
        this.allowKeySources = allowKeySources;
        this.allowShared = allowShared;
    }

    @Override
    public void beforeRegister(ClientRegistrationContext context) throws ClientRegistrationPolicyException {
        refuseIfNeeded(context.getClient(), null);
    }

    @Override
    public void beforeUpdate(ClientRegistrationContext context, ClientModel client) throws ClientRegistrationPolicyException {
        refuseIfNeeded(context.getClient(), client);
    }

    private void refuseIfNeeded(ClientRepresentation client, ClientModel existing) throws ClientRegistrationPolicyException {
        String refusal = refusal(session, client, existing, allowKeySources, allowShared);
        if (refusal != null) {
            throw new ClientRegistrationPolicyException(refusal);
        }
    }

    @Override
    public void afterRegister(ClientRegistrationContext context, ClientModel clientModel) {
    }

    @Override
    public void afterUpdate(ClientRegistrationContext context, ClientModel clientModel) {
    }

    @Override
    public void beforeView(ClientRegistrationProvider provider, ClientModel clientModel) {
    }

    @Override
    public void beforeDelete(ClientRegistrationProvider provider, ClientModel clientModel) {
    }

    /**
     * Why the registration of {@code client} (an update of {@code existing} when not null) is
     * refused under these switches, or null. The sentence names the metadata at fault, never
     * another client or a URL.
     */
    static String refusal(KeycloakSession session, ClientRepresentation client, ClientModel existing,
                          boolean allowKeySources, boolean allowShared) {
        SvidMethod method = SvidMethod.of(client.getClientAuthenticatorType());
        if (method == null) {
            return null;
        }
        RealmModel realm = session.getContext().getRealm();
        Map<String, String> attributes = client.getAttributes() == null ? Map.of() : new HashMap<>(client.getAttributes());
        SvidClientConfig config = SvidClientConfig.read(method, attributes);
        String clientId = client.getClientId() != null ? client.getClientId() : existing != null ? existing.getClientId() : "";
        if (config.hasOwnKeySource() && !allowKeySources && !entriesOwn(realm, config, clientId)) {
            String attribute = config.jwksUri() != null ? config.keySourceAttribute() : SvidClientConfig.ISSUER;
            return attribute + ": registrants may not supply key material (jwks_uri, " + SvidClientRegistrationProvider.SPIFFE_BUNDLE_ENDPOINT
                    + "): leave it out, and the realm's trust-domain entry supplies the key source (a realm administrator"
                    + " may allow registrant key sources with the " + SvidRegistrationPolicyFactory.PROVIDER_ID + " policy)";
        }
        if (!allowShared) {
            List<SpiffeIdPattern> claims = TrustDomainAuthority.heldSpiffeIds(clientId, attributes.get(SvidClientConfig.SPIFFE_ID));
            SvidAuthRuntime runtime = SvidAuthRuntimes.of(session.getKeycloakSessionFactory());
            SvidClientIndex.ClientSource source = runtime != null ? runtime.clientSource() : SvidClientIndex.ClientSource.WALK;
            Map<SpiffeIdPattern, String> taken = TrustDomainAuthority.takenByOthers(realm,
                    existing == null ? null : existing.getId(), clientId, method, claims, source, td -> false);
            if (!taken.isEmpty()) {
                return SvidClientRegistrationProvider.SPIFFE_ID + ": " + new TreeSet<>(taken.keySet().stream().map(SpiffeIdPattern::toString).toList())
                        + " overlaps a SPIFFE ID another client of this realm already accepts; registrants may not take or"
                        + " share one (a realm administrator may allow sharing with the " + SvidRegistrationPolicyFactory.PROVIDER_ID
                        + " policy, where the trust domain's entry allows it)";
            }
        }
        return null;
    }

    /** Whether every trust domain of the client has an entry whose own key source the client names. */
    private static boolean entriesOwn(RealmModel realm, SvidClientConfig config, String clientId) {
        var domains = config.trustDomains(clientId);
        return !domains.isEmpty() && domains.stream().map(td -> TrustDomainEntry.find(realm, td))
                .allMatch(e -> e != null && e.ownsKeySourceOf(config));
    }

    /**
     * Applies the policy's defaults (both switches off) to a registration of kind {@code auth} when
     * the realm has no {@value SvidRegistrationPolicyFactory#PROVIDER_ID} component for that kind
     * (Keycloak runs the components it has itself): refused with
     * {@code 400 invalid_client_metadata}, as other refused metadata.
     */
    static void enforceDefaults(KeycloakSession session, RegistrationAuth auth, ClientRepresentation client, ClientModel existing) {
        RealmModel realm = session.getContext().getRealm();
        String kind = ClientRegistrationPolicyManager.getComponentTypeKey(auth);
        boolean configured = realm.getComponentsStream(realm.getId(), ClientRegistrationPolicy.class.getName())
                .anyMatch(c -> SvidRegistrationPolicyFactory.PROVIDER_ID.equals(c.getProviderId()) && Objects.equals(kind, c.getSubType()));
        if (configured) {
            return;
        }
        String refusal = refusal(session, client, existing, false, false);
        if (refusal != null) {
            throw new ErrorResponseException(ErrorCodes.INVALID_CLIENT_METADATA, refusal, Response.Status.BAD_REQUEST);
        }
    }
}
